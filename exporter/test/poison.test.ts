import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ledgerGroups, litellmLine, requireBuiltCli, runCli, TEST_PRICES, tempDir } from './helpers';

/**
 * Lines that are well-formed JSON with values no later stage can hold (the ledger's BIGINT and TIMESTAMP
 * columns, DuckDB's CSV line size, ISO formatting) used to stop every source: the batch failed, across restarts.
 * Each must be one `invalid_field` reject naming its field and line, and its batch-mates stored.
 */
describe('ingest of poison values among good lines', () => {
  beforeAll(() => requireBuiltCli());

  const good = (i: number) => litellmLine(i);
  const poisoned = (i: number, change: (line: Record<string, unknown>) => void) => {
    const line = JSON.parse(litellmLine(i, { model: 'gpt-4o' })) as Record<string, unknown>;
    change(line);
    return JSON.stringify(line);
  };
  const usage = (line: Record<string, unknown>) =>
    (line.metadata as { usage_object: Record<string, unknown> }).usage_object;

  // [field the reject must name, the line]
  const POISON: [string, string][] = [
    ['metadata.usage_object.completion_tokens', poisoned(101, (l) => (usage(l).completion_tokens = 1e12))],
    ['metadata.usage_object.prompt_tokens', poisoned(102, (l) => (usage(l).prompt_tokens = Number.MAX_SAFE_INTEGER))],
    ['startTime', poisoned(103, (l) => (l.startTime = 1e20))],
    ['startTime', poisoned(104, (l) => (l.startTime = -1e15))],
    ['startTime', poisoned(105, (l) => (l.startTime = 9e12))],
    [
      'metadata.user_api_key_user_id',
      poisoned(106, (l) => ((l.metadata as Record<string, unknown>).user_api_key_user_id = 'x'.repeat(2_500_000))),
    ],
    ['model', poisoned(107, (l) => (l.model = 'm'.repeat(2_500_000)))],
    ['status', poisoned(108, (l) => (l.status = 100000))],
    // Tokens within bounds, but at 1e12 USD per 1M tokens the cost is beyond what one BIGINT holds.
    [
      'cost',
      poisoned(109, (l) =>
        Object.assign(l, {
          model: 'gold-plated',
          metadata: { ...(l.metadata as object), usage_object: { prompt_tokens: 1000, completion_tokens: 1000 } },
        })
      ),
    ],
  ];

  it('stores the good lines, quarantines each poison line with its field and line number, and exits 0', async () => {
    const dir = tempDir();
    const prices = join(dir, 'prices.yaml');
    writeFileSync(
      prices,
      TEST_PRICES.replace(
        'tiers:',
        '  gold-plated:\n    prices: [{ input: 1000000000000, output: 1000000000000 }]\ntiers:'
      )
    );
    // Good lines before, between and after the poison ones: all in one batch.
    const text: string[] = [];
    const expectedRejects: { line: number; field: string }[] = [];
    let goodLines = 0;
    for (let i = 0; i < 5; i++, goodLines++) text.push(good(i));
    POISON.forEach(([field, line], k) => {
      text.push(line);
      expectedRejects.push({ line: text.length, field });
      text.push(good(10 + k));
      goodLines++;
    });
    for (let i = 50; i < 55; i++, goodLines++) text.push(good(i));
    const log = join(dir, 'gw.jsonl');
    writeFileSync(log, `${text.join('\n')}\n`);

    const db = join(dir, 'l.duckdb');
    const rejectsFile = join(dir, 'rejects.jsonl');
    const r = runCli(['ingest', '--db', db, '--prices', prices, '--rejects', rejectsFile, log]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`records stored: +${goodLines}\\n`));
    expect(r.stdout).toMatch(new RegExp(`rejected: +${POISON.length} \\(invalid_field ${POISON.length}\\)`));

    const rejects = readFileSync(rejectsFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rejects.map((x) => ({ line: x.line, field: x.field }))).toEqual(expectedRejects);
    for (const x of rejects)
      expect(x).toMatchObject({
        file: log,
        reason: 'invalid_field',
        message: expect.stringMatching(new RegExp(`^${String(x.field).replace(/\./g, '\\.')}: `)),
      });

    const stored = await ledgerGroups(db, ['user']);
    expect(stored.total.requests).toBe(goodLines);
    // Read again: nothing more is stored, nothing is refused twice.
    const again = runCli(['ingest', '--db', db, '--prices', prices, '--rejects', rejectsFile, log]);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/lines read: +0\n/);
  }, 120_000);
});
