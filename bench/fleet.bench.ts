/**
 * Fleet benchmark: records/s stored into one shared PostgreSQL ledger by 1 writer and by 4 concurrent writers
 * (PostgresLedger instances with their own node names, as 4 replicas), each next to a plain COPY of the same
 * rows into an unindexed table of the same database, measured in the same round: the ratio is what the
 * ledger's work (dedup by the unique index, the hourly rollup, the batch's metric totals, read positions,
 * one transaction per batch) costs against loading the bytes. Rows are encoded before the clock starts, as
 * the pipeline's parse threads hand them over, so only storing is timed.
 *   npm run bench:fleet -- [records] [batch rows]     (default 1,000,000 records, batches of 50,000)
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { LedgerBatch } from '../exporter/src/ledger/ledger';
import { PostgresLedger } from '../exporter/src/ledger/postgres/postgresLedger';
import { EncodedRows, UsageBatch } from '../exporter/src/ledger/rows';
import { PG_TYPES } from '../exporter/src/ledger/postgres/schema';
import { ENCODED_COLUMNS } from '../exporter/src/ledger/schema';
import { startPostgres, RunningPostgres } from '../exporter/test/postgres';
import { benchUsage, withPostgres } from './benchLedger';

/** Writers of the fleet run: the issue's target is for 4 (>= 50,000 records/s together, on 2 cores). */
const FLEET = 4;
const ROUNDS = 3;
/** Live traffic: every writer stores rows of the same minutes, so they add to the same rollup rows. */
const ARRIVALS_PER_SECOND = 50_000;
const START_MS = Date.parse('2026-12-01T10:00:00Z');

/**
 * The records, as `writers` replicas would each read their share: record i goes to writer i % writers, in
 * batches of `batchRows`. Request ids are random UUIDs, as gateways make them (so the unique index takes
 * inserts all over, not at its end).
 */
function encodeBatches(records: number, writers: number, batchRows: number, ids: string[]): EncodedRows[][] {
  const perWriter: EncodedRows[][] = Array.from({ length: writers }, () => []);
  for (let w = 0; w < writers; w++) {
    let batch = new UsageBatch('postgres');
    let seq = 0;
    for (let i = w; i < records; i += writers) {
      batch.addStored(benchUsage(i, ids[i]!, START_MS + Math.floor((i * 1000) / ARRIVALS_PER_SECOND)), seq++);
      if (seq === batchRows) {
        perWriter[w]!.push(batch.encoded());
        batch = new UsageBatch('postgres');
        seq = 0;
      }
    }
    if (seq) perWriter[w]!.push(batch.encoded());
  }
  return perWriter;
}

/** Seconds to COPY every writer's rows, each writer on its own connection, into one table without indexes. */
async function plainCopySeconds(url: string, batches: EncodedRows[][]): Promise<number> {
  await withPostgres(url, (c) =>
    // The columns of the ledger's own staging table: every column a batch encodes (its rows' shape), and `seq`.
    c.query(`DROP TABLE IF EXISTS plain_copy;
      CREATE TABLE plain_copy (${[...ENCODED_COLUMNS.map((col) => (col.name === 'start_time' ? 'start_us bigint' : `${col.name} ${PG_TYPES[col.type]}`)), 'seq integer'].join(', ')})`)
  );
  const t0 = process.hrtime.bigint();
  await Promise.all(
    batches.map((mine) =>
      withPostgres(url, async (c) => {
        for (const b of mine) {
          // A transaction per batch, as the ledger's commits.
          await c.query('BEGIN');
          await pipeline(Readable.from(b.chunks), c.query(copyFrom('COPY plain_copy FROM STDIN')));
          await c.query('COMMIT');
        }
      })
    )
  );
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Seconds for `batches.length` ledgers (nodes) to commit their batches, all at once, into a fresh database. */
async function ledgerSeconds(url: string, batches: EncodedRows[][], expected: number): Promise<number> {
  const ledgers = await Promise.all(
    batches.map((_, w) => PostgresLedger.open({ url, pool: 2, node: `bench-node-${w + 1}` }))
  );
  try {
    // Partitions are made once per month by the first batch that needs them: not what is measured here.
    await Promise.all(
      ledgers.map((l) => l.commitBatch(batchOf(l.node, 0, { ...batches[0]![0]!, chunks: [], rows: 0 })))
    );
    let stored = 0;
    const t0 = process.hrtime.bigint();
    await Promise.all(
      ledgers.map(async (ledger, w) => {
        for (const [n, rows] of batches[w]!.entries()) {
          const { inserted } = await ledger.commitBatch(batchOf(ledger.node, n + 1, rows));
          stored += inserted;
        }
      })
    );
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (stored !== expected) throw new Error(`the ledgers stored ${stored} of ${expected} records`);
    return seconds;
  } finally {
    await Promise.all(ledgers.map((l) => l.close()));
  }
}

/** A batch as the pipeline hands it over: rows, the read position they reach, the lines they count. */
function batchOf(node: string, n: number, rows: EncodedRows): LedgerBatch {
  return {
    id: `${node}-${n}`,
    rows,
    rejects: [],
    positions: [
      {
        source: 'gateway',
        fileKey: `${node}:1`,
        path: '/var/log/litellm/usage.log',
        fingerprint: 'f',
        fingerprintLen: 1,
        offset: n * 1_000_000,
        line: n * 1000,
        finished: false,
      },
    ],
    counters: [{ name: 'lines_read', label: 'gateway', delta: rows.rows }],
  };
}

async function main(): Promise<void> {
  const records = Number(process.argv[2] ?? 1_000_000);
  const batchRows = Number(process.argv[3] ?? 50_000);
  if (![records, batchRows].every((n) => Number.isSafeInteger(n) && n > 0))
    throw new Error('usage: npm run bench:fleet -- [records] [batch rows]');
  const ids = Array.from({ length: records }, () => `litellm:chatcmpl-${randomUUID()}`);
  const layouts = new Map([1, FLEET].map((w) => [w, encodeBatches(records, w, batchRows, ids)]));
  const pg: RunningPostgres = await startPostgres();
  try {
    const version = await withPostgres(
      pg.url(),
      async (c) => (await c.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version
    );
    console.log(
      `PostgreSQL ${version} (harness cluster: fsync off, synchronous_commit on, default shared_buffers); ` +
        `${records.toLocaleString('en')} records in batches of ${batchRows.toLocaleString('en')}, ` +
        `start times ${ARRIVALS_PER_SECOND.toLocaleString('en')}/s of live traffic, each run into a fresh database`
    );
    const rate = (s: number) => Math.round(records / s);
    const row = (name: string, s: number) =>
      `  ${name.padEnd(58)} ${rate(s).toLocaleString('en').padStart(9)} records/s  ${s.toFixed(2).padStart(6)} s`;
    const fleetRates: number[] = [];
    const ratios = new Map<number, number[]>([...layouts.keys()].map((w) => [w, []]));
    let databases = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(`round ${round}`);
      for (const [writers, batches] of layouts) {
        const copy = await plainCopySeconds(await pg.createDatabase(`copy_${++databases}`), batches);
        const ledger = await ledgerSeconds(await pg.createDatabase(`ledger_${++databases}`), batches, records);
        const what = writers === 1 ? '1 writer' : `${writers} concurrent writers`;
        console.log(row(`plain COPY, ${what}, unindexed table (baseline)`, copy));
        console.log(row(`PostgresLedger, ${what}`, ledger));
        console.log(`    ratio ledger/COPY: ${(copy / ledger).toFixed(2)}`);
        ratios.get(writers)!.push(copy / ledger);
        if (writers === FLEET) fleetRates.push(rate(ledger));
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    for (const [writers, rs] of ratios)
      console.log(
        `${writers} writer${writers > 1 ? 's' : ''}: ratio ledger/COPY, median of ${ROUNDS} rounds ${median(rs).toFixed(2)} (${rs.map((r) => r.toFixed(2)).join(', ')})`
      );
    console.log(
      `${FLEET} writers together: median ${median(fleetRates).toLocaleString('en')} records/s (target >= 50,000)`
    );
  } finally {
    await pg.stop();
  }
}

main().catch((e: Error) => {
  console.error(e);
  process.exitCode = 1;
});
