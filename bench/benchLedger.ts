import { withDuckDb } from '../exporter/test/duckdbFile';
import { Client } from 'pg';
import { DuckDbLedger } from '../exporter/src/ledger/duckdb/duckDbLedger';
import { rebuildRollupSql } from '../exporter/src/ledger/duckdb/schema';
import { PostgresLedger } from '../exporter/src/ledger/postgres/postgresLedger';
import { createPartitions } from '../exporter/src/ledger/postgres/schema';
import { monthOf, StoredUsage } from '../exporter/src/ledger/rows';
import { COLUMNS_BEFORE_PRICING_INPUTS } from '../exporter/src/ledger/schema';
import { DEFAULT_PRICING_EXTRAS, NO_TOKENS } from '../exporter/src/types';
import {
  addToLevelSql,
  COARSE_LEVELS,
  fillFromHourlySql,
  HOURLY,
  ROLLUP_LEVELS,
  USAGE_ROWS,
} from '../exporter/src/ledger/rollups';

const DAY_MS = 86_400_000;
/** The 30 days the benchmark ledgers cover. */
export const FROM = Date.parse('2025-01-01T00:00:00Z');
export const TO = FROM + 30 * DAY_MS;

const TIERS = ['free', 'standard', 'premium', 'enterprise'];
const MODELS = ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4-5', 'claude-haiku-4-5', 'o4-mini', 'llama-3.1-70b'];

/**
 * Record i of a benchmark ledger, the same as the fills below make in SQL: 500 users, 1000 keys, 20 teams,
 * 4 tiers, 6 models. For benchmarks that hand rows to a ledger as the pipeline does.
 */
export function benchUsage(i: number, recordKey: string, startMs: number): StoredUsage {
  const k = (i * 7919) % 1000;
  const input = (i * 31) % 4000;
  const output = (i * 13) % 1000;
  const cost = BigInt(input) * 2_500_000n + BigInt(output) * 10_000_000n;
  return {
    recordKey,
    startMs,
    durationMs: (i % 20000) / 2,
    user: `user-${String(k % 500).padStart(4, '0')}@example.com`,
    apiKey: `key-${k}`,
    apiKeyId: undefined,
    team: `team-${(k % 500) % 20}`,
    tier: TIERS[k % 4]!,
    model: MODELS[i % 6]!,
    provider: 'openai',
    status: i % 25 === 0 ? 'failure' : 'success',
    httpStatus: undefined,
    tokens: { ...NO_TOKENS, inputUncached: input, cacheRead: (i * 17) % 1000, output },
    ...DEFAULT_PRICING_EXTRAS,
    modelRequested: undefined,
    reportedCostPusd: undefined,
    costPusd: cost,
    feePusd: 0n,
    pricedModel: undefined,
    chargePusd: cost,
    priceVersion: 'bench',
    pricedOnIngest: true,
  };
}

/**
 * The usage columns of record i (a BIGINT) as SQL both engines run, the same as `benchUsage`: `startTime` is
 * the engine's expression for the record's start time, evenly over the 30 days.
 */
function benchUsageSql(startTime: string): string {
  const list = (xs: string[]) => `(ARRAY[${xs.map((x) => `'${x}'`).join(', ')}])`;
  return `'bench:' || i, ${startTime}, (i % 20000) / 2.0,
      'user-' || lpad(((i * 7919) % 500)::VARCHAR, 4, '0') || '@example.com', 'key-' || ((i * 7919) % 1000),
      NULL, 'team-' || ((i * 7919) % 500 % 20), ${list(TIERS)}[((i * 7919) % 4) + 1], ${list(MODELS)}[(i % 6) + 1],
      'openai', CASE WHEN i % 25 = 0 THEN 'failure' ELSE 'success' END, NULL,
      (i * 31) % 4000, (i * 17) % 1000, 0, (i * 13) % 1000, 0,
      ((i * 31) % 4000) * 2500000 + ((i * 13) % 1000) * 10000000, ((i * 31) % 4000) * 2500000 + ((i * 13) % 1000) * 10000000,
      'bench', true, 1, 'bench'`;
}

/** The columns benchUsageSql gives, those of every schema version: the pricing inputs take their defaults. */
const BENCH_COLUMNS = `(${COLUMNS_BEFORE_PRICING_INPUTS.map((c) => c.name).join(', ')})`;

const stepMs = (records: number) => Math.floor((TO - FROM) / records);

/** The coarse rollup levels filled from the hourly one, each with one INSERT ... SELECT ... GROUP BY. */
const FILL_COARSE_LEVELS = COARSE_LEVELS.map((l) => `${fillFromHourlySql(l)};`).join('\n');

/** Makes a DuckDB ledger file and fills it inside DuckDB, rollups included. */
export async function fillDuckDbLedger(path: string, records: number): Promise<void> {
  await (await DuckDbLedger.open(path, { node: 'bench' })).close();
  await withDuckDb(path, async (db) => {
    await db.run(`
    BEGIN TRANSACTION;
    INSERT INTO usage ${BENCH_COLUMNS}
    SELECT ${benchUsageSql(`TIMESTAMP '2025-01-01 00:00:00' + to_milliseconds(i * ${stepMs(records)})`)}
    FROM range(${records}) t(i);
    ${rebuildRollupSql()}
    ${FILL_COARSE_LEVELS}
    COMMIT`);
  });
}

/**
 * Fills an empty PostgreSQL database as a ledger: the schema and the month partitions as the engine makes
 * them, the rows made inside PostgreSQL, the hourly rollup summed from them and the coarser levels from it,
 * then VACUUM ANALYZE (what autovacuum does to a ledger that stopped growing: statistics and the visibility map).
 */
export async function fillPostgresLedger(url: string, records: number): Promise<void> {
  await (await PostgresLedger.open({ url, pool: 1, node: 'bench' })).close();
  await withPostgres(url, async (c) => {
    await c.query('BEGIN');
    for (let month = monthOf(FROM); month <= monthOf(TO - 1); month++) await c.query(createPartitions(month));
    await c.query(`INSERT INTO usage ${BENCH_COLUMNS}
      SELECT ${benchUsageSql(`timestamp '2025-01-01 00:00:00' + i * ${stepMs(records)} * interval '1 millisecond'`)}
      FROM generate_series(0::bigint, ${records - 1}) i`);
    await c.query(addToLevelSql(HOURLY, 'usage', USAGE_ROWS));
    await c.query(FILL_COARSE_LEVELS);
    await c.query('COMMIT');
    await c.query('VACUUM ANALYZE usage');
    for (const l of ROLLUP_LEVELS) await c.query(`VACUUM ANALYZE ${l.table}`);
  });
}

/** Median ms of a plain scan over the 30 days (count and cost sum) on PostgreSQL: its baseline. */
export async function postgresScanMs(url: string, runs: number): Promise<number> {
  return withPostgres(url, (c) => medianMs(runs, () => c.query(PLAIN_SCAN)));
}

/** The baseline of the API's latencies: count and cost sum of the rows of the 30 days, with no rollup. */
const PLAIN_SCAN = `SELECT count(*), sum(cost_pusd) FROM usage WHERE start_time >= TIMESTAMP '2025-01-01' AND start_time < TIMESTAMP '2025-01-31'`;

/** Median ms of a plain scan over the 30 days (count and cost sum) on DuckDB: the baseline the API is measured against. */
export async function duckDbScanMs(path: string, runs: number): Promise<number> {
  return withDuckDb(path, (db) => medianMs(runs, () => db.run(PLAIN_SCAN)));
}

export async function medianMs(runs: number, work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await work();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export async function withPostgres<T>(url: string, work: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
