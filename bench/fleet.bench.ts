/**
 * Fleet benchmark: records/s stored into one shared PostgreSQL ledger by 1 writer and by 4 concurrent writers
 * (PostgresLedger instances with their own node names, as 4 replicas), each next to a plain COPY of the same
 * rows into an unindexed table of the same database, measured in the same round: the ratio is what the
 * ledger's work (dedup by the unique index, the hourly rollup, the batch's metric totals, read positions,
 * one transaction per batch) costs against loading the bytes. Rows are encoded before the clock starts, as
 * the pipeline's parse threads hand them over, so only storing is timed.
 * Each run also counts the CPU seconds the cluster's processes and this process used: on a shared machine the
 * wall-clock rate is mostly the other work's, while records per CPU-second are the work itself, and bound what
 * 2 cores given to nothing else can store.
 *   npm run bench:fleet -- [records] [batch rows]     (default 1,000,000 records, batches of 50,000)
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { LedgerBatch } from '../exporter/src/ledger/ledger';
import { PostgresLedger } from '../exporter/src/ledger/postgres/postgresLedger';
import { EncodedRows, spooledText, UsageBatch } from '../exporter/src/ledger/rows';
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
/** Where the batches' encoded rows wait, as in the pipeline (Ledger.rowSpool): made once, read by every run. */
const SPOOL = mkdtempSync(join(tmpdir(), 'tokenledger-fleet-bench-'));

/** The cores the issue's target is for. */
const CORES = 2;

const CLOCK_TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** proc(5)'s fields of a process after its command: state, ppid, ... (utime and stime are the 12th and 13th). */
function statFields(pid: number | string): number[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ').map(Number);
  } catch {
    return undefined; // ended meanwhile
  }
}

/**
 * CPU seconds (user and system) the cluster's processes used so far: the postmaster's, its children's (backends,
 * autovacuum workers, ...; a backend that ended but is not reaped yet, a zombie, still has its times), and those
 * of the children it reaped (its cutime and cstime).
 */
function serverCpuSeconds(pg: RunningPostgres): number {
  const postmaster = statFields(pg.pid)!;
  let ticks = postmaster[11]! + postmaster[12]! + postmaster[13]! + postmaster[14]!;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const f = statFields(entry);
    if (f && f[1] === pg.pid) ticks += f[11]! + f[12]!;
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/** A run's wall-clock seconds and CPU seconds (the cluster's, and this process's: encoding for COPY, node-postgres). */
interface Measured {
  seconds: number;
  serverCpu: number;
  benchCpu: number;
}

async function measured(pg: RunningPostgres, run: () => Promise<void>): Promise<Measured> {
  const server0 = serverCpuSeconds(pg);
  const bench0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await run();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const bench = process.cpuUsage(bench0);
  return { seconds, serverCpu: serverCpuSeconds(pg) - server0, benchCpu: (bench.user + bench.system) / 1e6 };
}

/**
 * The records, as `writers` replicas would each read their share: record i goes to writer i % writers, in
 * batches of `batchRows`. Request ids are random UUIDs, as gateways make them (so the unique index takes
 * inserts all over, not at its end).
 */
function encodeBatches(records: number, writers: number, batchRows: number, ids: string[]): EncodedRows[][] {
  const perWriter: EncodedRows[][] = Array.from({ length: writers }, () => []);
  for (let w = 0; w < writers; w++) {
    let batch = new UsageBatch('postgres', SPOOL);
    let seq = 0;
    for (let i = w; i < records; i += writers) {
      batch.addStored(benchUsage(i, ids[i]!, START_MS + Math.floor((i * 1000) / ARRIVALS_PER_SECOND)), seq++);
      if (seq === batchRows) {
        perWriter[w]!.push(batch.encoded());
        batch = new UsageBatch('postgres', SPOOL);
        seq = 0;
      }
    }
    if (seq) perWriter[w]!.push(batch.encoded());
  }
  return perWriter;
}

/** Every writer's rows COPied, each writer on its own connection, into one table without indexes. */
async function plainCopy(pg: RunningPostgres, url: string, batches: EncodedRows[][]): Promise<Measured> {
  await withPostgres(url, (c) =>
    // The columns of the ledger's own staging table: every column a batch encodes (its rows' shape), and `seq`.
    c.query(`DROP TABLE IF EXISTS plain_copy;
      CREATE TABLE plain_copy (${[...ENCODED_COLUMNS.map((col) => (col.name === 'start_time' ? 'start_us bigint' : `${col.name} ${PG_TYPES[col.type]}`)), 'seq integer'].join(', ')})`)
  );
  return measured(pg, async () => {
    await Promise.all(
      batches.map((mine) =>
        withPostgres(url, async (c) => {
          for (const b of mine) {
            // A transaction per batch, as the ledger's commits.
            await c.query('BEGIN');
            await pipeline(Readable.from(spooledText(b)), c.query(copyFrom('COPY plain_copy FROM STDIN')));
            await c.query('COMMIT');
          }
        })
      )
    );
  });
}

/** `batches.length` ledgers (nodes) committing their batches, all at once, into a fresh database. */
async function ledgerRun(
  pg: RunningPostgres,
  url: string,
  batches: EncodedRows[][],
  expected: number
): Promise<Measured> {
  const ledgers = await Promise.all(
    batches.map((_, w) => PostgresLedger.open({ url, pool: 2, node: `bench-node-${w + 1}` }))
  );
  try {
    // Partitions are made once per month by the first batch that needs them: not what is measured here.
    await Promise.all(
      ledgers.map((l) => l.commitBatch(batchOf(l.node, 0, { ...batches[0]![0]!, files: [], rows: 0 })))
    );
    let stored = 0;
    const run = await measured(pg, async () => {
      await Promise.all(
        ledgers.map(async (ledger, w) => {
          for (const [n, rows] of batches[w]!.entries()) {
            const { inserted } = await ledger.commitBatch(batchOf(ledger.node, n + 1, rows));
            stored += inserted;
          }
        })
      );
    });
    if (stored !== expected) throw new Error(`the ledgers stored ${stored} of ${expected} records`);
    return run;
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
    // What CORES cores doing nothing else would store: the records over the CPU seconds they took, per core.
    const cpuBound = (m: Measured) => Math.round((CORES * records) / (m.serverCpu + m.benchCpu));
    const row = (name: string, m: Measured) =>
      `  ${name.padEnd(58)} ${rate(m.seconds).toLocaleString('en').padStart(9)} records/s  ${m.seconds.toFixed(2).padStart(6)} s` +
      `  CPU s: server ${m.serverCpu.toFixed(1)}, bench ${m.benchCpu.toFixed(1)}; ${CORES} idle cores: ${cpuBound(m).toLocaleString('en')} records/s`;
    const fleetRates: number[] = [];
    const fleetCpuBound: number[] = [];
    const ratios = new Map<number, number[]>([...layouts.keys()].map((w) => [w, []]));
    let databases = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(`round ${round}`);
      for (const [writers, batches] of layouts) {
        const copy = await plainCopy(pg, await pg.createDatabase(`copy_${++databases}`), batches);
        const ledger = await ledgerRun(pg, await pg.createDatabase(`ledger_${++databases}`), batches, records);
        const what = writers === 1 ? '1 writer' : `${writers} concurrent writers`;
        console.log(row(`plain COPY, ${what}, unindexed table (baseline)`, copy));
        console.log(row(`PostgresLedger, ${what}`, ledger));
        const ratio = copy.seconds / ledger.seconds;
        console.log(
          `    ratio ledger/COPY: ${ratio.toFixed(2)} (CPU seconds: ${((copy.serverCpu + copy.benchCpu) / (ledger.serverCpu + ledger.benchCpu)).toFixed(2)})`
        );
        ratios.get(writers)!.push(ratio);
        if (writers === FLEET) {
          fleetRates.push(rate(ledger.seconds));
          fleetCpuBound.push(cpuBound(ledger));
        }
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    for (const [writers, rs] of ratios)
      console.log(
        `${writers} writer${writers > 1 ? 's' : ''}: ratio ledger/COPY, median of ${ROUNDS} rounds ${median(rs).toFixed(2)} (${rs.map((r) => r.toFixed(2)).join(', ')})`
      );
    console.log(
      `${FLEET} writers together: median ${median(fleetRates).toLocaleString('en')} records/s (target >= 50,000); ` +
        `by their CPU seconds, ${CORES} cores doing nothing else: median ${median(fleetCpuBound).toLocaleString('en')} records/s`
    );
  } finally {
    await pg.stop();
    rmSync(SPOOL, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  console.error(e);
  process.exitCode = 1;
});
