import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { DuckDbLedger } from '../src/ledger/duckdb/duckDbLedger';
import { lines, requireBuiltCli, runCli, TEST_PRICES, tempDir } from './helpers';

/** `tokenledger report` as a user runs it: the built CLI over a ledger filled by `tokenledger ingest`. */
describe('tokenledger report', () => {
  let db: string;
  // litellmLine(i) starts at 2025-01-01T10:00:00Z + i × 0.5 s, users and models cycling.
  const FROM = '2025-01-01';
  const TO = '2025-01-02';

  beforeAll(() => {
    requireBuiltCli();
    const dir = tempDir();
    db = join(dir, 'ledger.duckdb');
    writeFileSync(join(dir, 'prices.yaml'), TEST_PRICES);
    const r = runCli(['ingest', '--db', db, '--prices', join(dir, 'prices.yaml'), '-'], lines(0, 60));
    if (r.status !== 0) throw new Error(`ingest failed (${r.status}): ${r.stderr}`);
  });

  const report = (...args: string[]) => runCli(['report', '--db', db, ...args]);
  const json = (...args: string[]) => {
    const r = report(...args, '--format', 'json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout) as { rows: Record<string, unknown>[]; total: { requests: number } };
  };

  it('merges repeated --group-by in order, as a comma-separated list', () => {
    const repeated = json('--from', FROM, '--to', TO, '--group-by', 'user', '--group-by', 'model');
    const listed = json('--from', FROM, '--to', TO, '--group-by', 'user,model');
    expect(repeated).toEqual(listed);
    expect(repeated.rows.length).toBe(3); // litellmLine gives each user one model
    for (const row of repeated.rows) expect(Object.keys(row).slice(0, 2)).toEqual(['user', 'model']);
    const csv = report('--from', FROM, '--to', TO, '--group-by', 'model', '--group-by', 'team,user', '--format', 'csv');
    expect(csv.status).toBe(0);
    expect(csv.stdout.split('\n')[0]).toMatch(/^model,team,user,requests,/);
  });

  it('prints CSV as one row per group (no total among them) and the table with its total under a rule', () => {
    const all = json('--from', FROM, '--to', TO, '--group-by', 'user');
    const csv = report('--from', FROM, '--to', TO, '--group-by', 'user', '--format', 'csv').stdout.trim().split('\n');
    expect(csv.length).toBe(1 + all.rows.length);
    expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(all.rows.map((r) => r.user));
    const table = report('--from', FROM, '--to', TO, '--group-by', 'user', '--limit', '2', '--format', 'table')
      .stdout.trim()
      .split('\n');
    expect(table.length).toBe(2 + 2 + 2); // header and rule, two groups, rule and total
    expect(table[4]).toMatch(/^-+ /);
    expect(table[5]).toMatch(new RegExp(`^total, all groups +${all.total.requests} `));
  });

  it.each([
    [['--group-by', 'user,user'], '--group-by: dimension "user" is given twice'],
    [['--group-by', 'user', '--group-by', 'model,user'], '--group-by: dimension "user" is given twice'],
    [['--group-by', 'user,colour'], '--group-by: unknown dimension "colour"; expected user, apiKey, team, tier, model'],
  ])('refuses %j with a usage error', (groupBy, message) => {
    const r = report('--from', FROM, '--to', TO, ...groupBy, '--format', 'csv');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`tokenledger report: ${message}\n`);
    expect(r.stderr).toContain('Usage: tokenledger report');
  });

  it.each([
    [['--from', '2025-02-30', '--to', '2025-03-01'], '--from: 2025-02-30 is not a date: February 2025 has 28 days'],
    [['--from', '2025-04-01', '--to', '2025-04-31'], '--to: 2025-04-31 is not a date: April 2025 has 30 days'],
    [
      ['--from', '2025-01-01T10:61:00Z', '--to', TO],
      '--from: 2025-01-01T10:61:00Z is not a time: minute 61 is out of range 00-59',
    ],
    [
      ['--from', 'yesterday', '--to', TO],
      '--from: not an ISO 8601 date or time (e.g. 2025-01-31 or 2025-01-31T12:00:00Z): "yesterday"',
    ],
    [['--from', TO, '--to', FROM], '--from must be before --to'],
  ])('refuses the range %j, naming the flag and the value', (range, message) => {
    const r = report(...range, '--group-by', 'user');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`tokenledger report: ${message}\n`);
  });

  it('reads times with offsets and fractions: from inclusive, to exclusive', async () => {
    // [10:00:00Z, 10:00:05Z) holds lines 0..9; the same instants written with an offset and a fraction.
    const r = json(
      '--from',
      '2025-01-01T11:00:00.000+01:00',
      '--to',
      '2025-01-01T05:00:05-05:00',
      '--group-by',
      'user'
    );
    const ledger = await DuckDbLedger.open(db, { node: 'test', readOnly: true });
    try {
      const expected = await ledger.breakdown({
        fromMs: Date.UTC(2025, 0, 1, 10),
        toMs: Date.UTC(2025, 0, 1, 10, 0, 5),
        groupBy: [],
        filters: {},
        sort: 'cost',
        limit: undefined,
      });
      expect(expected.total.requests).toBeGreaterThan(0);
      expect(r.total.requests).toBe(expected.total.requests);
    } finally {
      await ledger.close();
    }
    expect(
      json('--from', '2025-01-01T10:00:05Z', '--to', TO, '--group-by', 'user').total.requests + r.total.requests
    ).toBe(json('--from', FROM, '--to', TO).total.requests);
  });
});
