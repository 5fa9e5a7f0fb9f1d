import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ledgerTotals, lines, requireBuiltCli, runCli, TEST_PRICES, tempDir, waitFor } from './helpers';

const FIXTURES = join(__dirname, 'fixtures');

describe('tokenledger ingest', () => {
  let dir: string;
  let prices: string;
  beforeAll(() => requireBuiltCli());
  beforeEach(() => {
    dir = tempDir();
    prices = join(dir, 'prices.yaml');
    writeFileSync(prices, TEST_PRICES);
  });

  function ingest(db: string, ...files: string[]) {
    const r = runCli(['ingest', '--db', db, '--prices', prices, ...files]);
    if (r.status !== 0) throw new Error(`ingest failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  }

  it('reads every format fixture and quarantines the bad lines with file, line and field', async () => {
    const db = join(dir, 'l.duckdb');
    const files = ['litellm.jsonl', 'kong.jsonl', 'envoy.jsonl', 'malformed.jsonl', 'litellm-stdout.log'].map((f) => join(FIXTURES, f));
    const out = ingest(db, ...files);
    // 3 litellm + 3 kong + 3 envoy + 2 good malformed.jsonl lines + 1 pretty-printed record
    expect(out).toMatch(/records stored: +12\n/);
    expect(out).toMatch(/rejected: +8 \(/);
    const rejects = readFileSync(join(dir, 'rejects.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const bad = rejects.find((r) => r.reason === 'invalid_field' && r.field === 'prompt_tokens');
    expect(bad).toMatchObject({ file: join(FIXTURES, 'malformed.jsonl'), line: 3, source: 'ingest', message: 'prompt_tokens: expected a non-negative integer, got -5' });
    expect(JSON.stringify(rejects)).not.toMatch(/SECRET|sk-live/);
    const totals = (await ledgerTotals(db)) as { total: { requests: number } };
    expect(totals.total.requests).toBe(12);
  });

  it('exits non-zero naming the file it cannot read, and for a broken price book', () => {
    const missing = runCli(['ingest', '--db', join(dir, 'x.duckdb'), '--prices', prices, join(dir, 'nope.jsonl')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('nope.jsonl: no such file');
    writeFileSync(join(dir, 'bad.yaml'), 'models:\n  m:\n    prices: [{ input: 1 }]\n');
    const badPrices = runCli(['ingest', '--db', join(dir, 'x.duckdb'), '--prices', join(dir, 'bad.yaml'), join(FIXTURES, 'kong.jsonl')]);
    expect(badPrices.status).toBe(1);
    expect(badPrices.stderr).toMatch(/bad\.yaml: models\.m\.prices\[0\]: missing key "output"/);
    const usage = runCli(['ingest', '--prices', prices]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/--db is required/);
  });

  it('twice, in pieces, and with a duplicated line gives the same ledger as one clean pass', async () => {
    const log = join(dir, 'gw.jsonl');
    writeFileSync(log, lines(0, 3000));
    const clean = join(dir, 'clean.duckdb');
    ingest(clean, log);
    const expected = await ledgerTotals(clean);

    const piecewise = join(dir, 'pieces.duckdb');
    const piece = join(dir, 'piece.jsonl');
    writeFileSync(piece, lines(0, 1000));
    ingest(piecewise, piece);
    appendFileSync(piece, lines(1000, 1000 + 500) + lines(1500, 1501).slice(0, 40)); // ends in a partial line
    const mid = ingest(piecewise, piece);
    expect(mid).toMatch(/held back: .*piece\.jsonl:1501/);
    appendFileSync(piece, lines(1500, 1501).slice(40) + lines(1501, 3000));
    expect(ingest(piecewise, piece)).toMatch(/lines read: +1500\n/);
    expect(ingest(piecewise, piece)).toMatch(/lines read: +0\n/);
    expect(await ledgerTotals(piecewise)).toEqual(expected);

    // The same requests again in another file (a copy, a replayed log): nothing is counted twice.
    const copy = join(dir, 'copy.jsonl');
    writeFileSync(copy, lines(0, 3000));
    expect(ingest(piecewise, copy)).toMatch(/duplicates: +3000 /);
    expect(await ledgerTotals(piecewise)).toEqual(expected);
  });

  it('loses and duplicates nothing when killed with SIGKILL mid-run', async () => {
    const log = join(dir, 'big.jsonl');
    writeFileSync(log, lines(0, 150_000));
    const clean = join(dir, 'clean.duckdb');
    ingest(clean, log);
    const expected = await ledgerTotals(clean);

    const db = join(dir, 'killed.duckdb');
    const child = spawn(process.execPath, [CLI, 'ingest', '--db', db, '--prices', prices, '--batch-lines', '2000', log], { stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    // Kill once some batches are committed, well before the end.
    await waitFor('a few committed batches', () => (existsSync(`${db}.wal`) && statSync(`${db}.wal`).size > 2_000_000 ? true : undefined), 60_000, 10);
    process.kill(child.pid!, 'SIGKILL');
    expect(await exited).toBeNull();

    const resumed = ingest(db, log);
    const read = Number(/lines read: +(\d+)/.exec(resumed)![1]);
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(150_000);
    expect(await ledgerTotals(db)).toEqual(expected);
  });

  it('reads stdin with -', async () => {
    const db = join(dir, 'stdin.duckdb');
    const r = runCli(['ingest', '--db', db, '--prices', prices, '-'], lines(0, 50));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/records stored: +50\n/);
  });
});
