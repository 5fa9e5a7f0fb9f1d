import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger } from '../src/ledger/ledger';
import { ledgerSpecOf, openLedger } from '../src/ledger/open';
import { lines, requireBuiltCli, runCli, TEST_PRICES, tempDir } from './helpers';
import { RunningPostgres, startPostgres } from './postgres';

// `tokenledger migrate-ledger` as a user moving from one node to the fleet runs it: a DuckDB ledger filled by
// `ingest`, copied into a real PostgreSQL, twice.

let pg: RunningPostgres;
beforeAll(async () => {
  requireBuiltCli();
  pg = await startPostgres();
});
afterAll(async () => pg?.stop());

const ALL = {
  fromMs: 0,
  toMs: Date.parse('2100-01-01T00:00:00Z'),
  filters: {},
  sort: 'cost',
  limit: undefined,
} as const;

/** Everything a ledger says of itself that a migration must carry over. */
async function contents(ledger: Ledger) {
  const byUserModel = await ledger.breakdown({ ...ALL, groupBy: ['user', 'model', 'team'] });
  const series = await ledger.timeSeries({
    ...ALL,
    fromMs: Date.parse('2025-01-01'),
    toMs: Date.parse('2025-01-02'),
    groupBy: ['model'],
    stepSeconds: 60,
  });
  return {
    byUserModel,
    series,
    positions: (await ledger.readPositions()).map(({ fingerprint, ...p }) => ({
      ...p,
      fingerprint: fingerprint.length,
    })),
    counters: (await ledger.counters()).sort((a, b) => `${a.name}${a.label}`.localeCompare(`${b.name}${b.label}`)),
    rejects: (await ledger.rejectsAfter(0)).map((r) => r.reject),
    metrics: await ledger.metricTotals(),
  };
}

describe('tokenledger migrate-ledger', () => {
  it('copies a DuckDB ledger into PostgreSQL with identical totals, and can be run again', async () => {
    const dir = tempDir();
    const db = join(dir, 'single.duckdb');
    writeFileSync(join(dir, 'prices.yaml'), TEST_PRICES);
    // Priced and unpriced models, and two lines that are refused.
    writeFileSync(
      join(dir, 'gw.log'),
      `${lines(0, 300)}not json\n${lines(300, 400, { model: 'no-price-model' })}{"id":\n`
    );
    const ingested = runCli(['ingest', '--db', db, '--prices', join(dir, 'prices.yaml'), join(dir, 'gw.log')]);
    expect(ingested.stderr).toBe('');
    const url = await pg.createDatabase('migrated');

    const first = runCli(['migrate-ledger', '--from', db, '--to', url, '--node', 'gw-node-1']);
    expect(first.stderr).not.toMatch(/error|differ/i);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/read +400 request\(s\); copied 400, already there 0/);
    expect(first.stdout).not.toContain('secret'); // the URL's password

    const again = runCli(['migrate-ledger', '--from', db, '--to', url, '--node', 'gw-node-1']);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/copied 0, already there 400/);

    const source = await openLedger(ledgerSpecOf(db), { node: 'gw-node-1', readOnly: true });
    const target = await openLedger(ledgerSpecOf(url), { node: 'gw-node-1' });
    try {
      const [from, to] = [await contents(source), await contents(target)];
      expect(from.byUserModel.total.requests).toBe(400);
      expect(from.rejects).toHaveLength(2);
      expect(to).toEqual(from);
    } finally {
      await source.close();
      await target.close();
    }
  });

  it('says what is wrong with its arguments', () => {
    const r = runCli(['migrate-ledger', '--from', 'a.duckdb']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--from and --to are required/);
    const same = runCli(['migrate-ledger', '--from', 'a.duckdb', '--to', 'a.duckdb']);
    expect(same.stderr).toMatch(/--from and --to name the same ledger/);
  });
});
