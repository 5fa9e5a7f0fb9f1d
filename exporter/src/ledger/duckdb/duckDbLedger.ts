// First: configures DuckDB's allocator before DuckDB loads.
import './allocatorConf';
import {
  DuckDBAppender,
  DuckDBConnection,
  DuckDBInstance,
  DuckDBResultReader,
  DuckDBTimestampValue,
  DuckDBValue,
} from '@duckdb/node-api';
import { Semaphore } from '../../semaphore';
import type { Price } from '../../pricing/pricer';
import {
  BatchResult,
  Ledger,
  LedgerBatch,
  LedgerBusyError,
  LedgerCorruptError,
  LedgerCounter,
  LedgerError,
  LedgerVersionError,
  PushReceipt,
  ReadPosition,
  RejectedLine,
  RepriceRun,
  RowPricer,
  UnpricedRow,
} from '../ledger';
import { MetricTotals, NO_METRIC_TOTALS } from '../metricTotals';
import { EncodedRows, finishSpool, RowFormat, SpooledFile, StoredUsage } from '../rows';
import { emptySpool, removeSpoolDir } from '../spool';
import { SqlLedger } from '../sql/sqlLedger';
import { metricTotalsFrom, metricTotalsQueries } from '../sql/metricTotalsSql';
import { SqlDialect, SqlTime, SqlValue, Statement } from '../sql/usageQueries';
import { ROLLUP_LEVELS } from '../rollups';
import {
  anyStoredInRange,
  BatchFiles,
  insertNewUsageRows,
  insertRareRows,
  keepFirstRead,
  repeatedInBatch,
  storedBatchRows,
} from './batchLoad';
import { positionFromRow, rejectFromRow, rejectsAmong, STORED_USAGE_COLUMNS, usageFromRow } from '../sql/storedRows';
import { withoutData } from './errorText';
import {
  forgetReceiptsStatement,
  insertReceiptStatement,
  pushReceiptSql,
  receiptFromRow,
  replayedPush,
  storedReceipt,
} from '../sql/pushReceipts';
import { repriceRange, repriceUnpriced } from './reprice';
import { repriceRunsSql, runsFromRows } from '../sql/repricing';
import {
  addBatchToRollups,
  CREATE_TABLES,
  literal,
  MIGRATED_SCHEMA_VERSIONS,
  migrationFrom,
  READABLE_SCHEMA_VERSIONS,
  SCHEMA_VERSION,
  USAGE_FULL_VIEW,
} from './schema';

/**
 * DuckDB's buffer memory when `ledger_memory_limit` does not say. At 1GB it kept filling during `ingest`
 * (1M lines peaked at 804 MB of RSS on DuckDB, 251 MB on PostgreSQL with the same JavaScript side); at
 * 256MB the same run peaked at 615 MB, the batches staying well inside it (bench/footprint.bench.ts,
 * bench/README.md "Footprint").
 */
export const DEFAULT_MEMORY_LIMIT = '256MB';

/**
 * DuckDB's allocator (its own jemalloc) keeps what a query freed for the next one: after a batch, or the
 * scan that seeds the metrics at start, an idle process held it for good. A background thread hands pages
 * back as they age (how soon: allocatorOptions.ts), and each thread's cache is flushed once a task has used more than
 * 16MB (default 128MB).
 */
const ALLOCATOR_SETTINGS: Record<string, string> = {
  allocator_background_threads: 'true',
  allocator_flush_threshold: '16MB',
};

/**
 * DuckDB writes a large insert's full row groups (122,880 rows) straight to the file, and checkpoints at a commit
 * of more than 100,000 rows; a checkpoint merges each batch's last, partial row group with the next batch's rows,
 * which rewrites (reads, compresses and writes again) nearly every row a batch stored: as much work as storing
 * it, and most of the ledger's commit memory (bench/README.md, #16, session 10). Without these merges ("vacuum
 * tasks") each batch keeps one small row group of its own, which reads as fast. A checkpoint still drops the row
 * groups whose rows were all deleted (retention's months), with or without them.
 */
const NO_ROW_GROUP_MERGES: Record<string, string> = { max_vacuum_tasks: '0' };

/**
 * Connections for queries, and so queries running at once. @duckdb/node-api runs every statement as a task on
 * libuv's thread pool, and a statement for a busy connection waits for it inside its pool thread: were queries
 * not held back here, a burst of API requests would fill the pool (4 threads unless UV_THREADPOOL_SIZE says
 * otherwise, see threadPool.ts) and queue the writer's statements, and the file reads, behind all of them. Two
 * let a short query pass a long one; each query already uses all of DuckDB's threads.
 */
export const READ_CONNECTIONS = 2;

/**
 * DuckDB's words for a lock held by another process, and for a damaged file. Matched on its phrases, not on
 * a word like "lock", which also occurs inside others ("block" in a checksum error about a damaged block).
 */
const LOCK_HELD = /Could not set lock on file|Conflicting lock is held/;
const CORRUPT = /Corrupt database file|not a valid DuckDB database file|does not match stored checksum/;

/** The error to report for DuckDB's refusal to open `path`. */
export function openError(path: string, duckdbMessage: string): LedgerError {
  const first = duckdbMessage.split('\n')[0];
  if (LOCK_HELD.test(duckdbMessage)) {
    return new LedgerBusyError(
      `${path}: the ledger is in use by another process (a running \`tokenledger serve\`?). Query it through its HTTP API, or stop it first. (${first})`
    );
  }
  if (CORRUPT.test(duckdbMessage)) {
    return new LedgerCorruptError(
      `${path}: the ledger file is damaged or is not a DuckDB database; restore it from a backup, or move it away to start a new ledger (the logs can be ingested again). (${first})`
    );
  }
  return new LedgerError(`${path}: cannot open the ledger: ${first}`);
}

function ts(ms: number): DuckDBTimestampValue {
  return new DuckDBTimestampValue(BigInt(Math.round(ms)) * 1000n);
}

const DIALECT: SqlDialect = { epochMs: (expr) => `epoch_ms(${expr})`, usageRows: 'usage_full' };

const bindValue = (v: SqlValue): DuckDBValue => (v instanceof SqlTime ? ts(v.ms) : v);

export interface DuckDbOptions {
  node: string;
  readOnly?: boolean;
  /** Caps DuckDB's buffer memory (e.g. "1GB"): beyond it DuckDB spills and evicts. */
  memoryLimit?: string;
}

/**
 * The embedded ledger: one DuckDB file, one writing process (DuckDB's file lock). Writes go through
 * `commitBatch`, one transaction per batch: new rows (repeats of stored requests left out), the rollup, read
 * positions and counter deltas land together or not at all, so a crash at any point neither loses nor
 * duplicates a request.
 */
export class DuckDbLedger extends SqlLedger implements Ledger {
  protected readonly dialect = DIALECT;
  readonly rowFormat: RowFormat = 'duckdb';
  private batchSeq = 0;
  private writing: Promise<unknown> = Promise.resolve();
  /**
   * Each batch of rows goes to DuckDB as TSV files read by its C++ CSV reader: far cheaper than one native call
   * per value. The pipeline's threads write them here as they read (rows.ts): per thread, rows with every
   * column, and rows without the rare ones (RARE_COLUMNS). Beside the ledger's file, whose lock makes it ours.
   */
  readonly rowSpool: string;
  /** Whether this ledger made (and so removes) its spool: a read-only one leaves the writer's alone. */
  private ownsSpool = false;
  /** Query connections not in use; `readSlots` hands them out, one query each. */
  private readonly idleReaders: DuckDBConnection[];
  private readonly readSlots: Semaphore;
  /** Writes queued or running; while there are any, new queries wait (see `query`). */
  private pendingWrites = 0;
  private writesDone: { promise: Promise<void>; resolve: () => void } | undefined;
  private closed = false;

  private constructor(
    readonly location: string,
    readonly node: string,
    private readonly instance: DuckDBInstance,
    /** Every write goes through this connection, one transaction at a time (`write`). */
    private readonly writer: DuckDBConnection,
    /** Queries use their own connections: they see committed data only, never a batch half-way. */
    private readonly readers: DuckDBConnection[],
    /** DuckDB's `memory_limit`, as set at open. */
    private readonly memoryLimit: string
  ) {
    super();
    this.rowSpool = `${location}.spool`;
    this.idleReaders = [...readers];
    this.readSlots = new Semaphore(readers.length);
  }

  /** Opens (creating if needed, migrating if older) a ledger file. */
  static async open(path: string, options: DuckDbOptions): Promise<DuckDbLedger> {
    let instance: DuckDBInstance;
    const memoryLimit = options.memoryLimit ?? DEFAULT_MEMORY_LIMIT;
    const settings: Record<string, string> = {
      ...ALLOCATOR_SETTINGS,
      ...NO_ROW_GROUP_MERGES,
      memory_limit: memoryLimit,
    };
    if (options.readOnly) settings.access_mode = 'READ_ONLY';
    try {
      instance = await DuckDBInstance.create(path, settings);
    } catch (e) {
      throw openError(path, (e as Error).message);
    }
    const readers: DuckDBConnection[] = [];
    for (let i = 0; i < READ_CONNECTIONS; i++) readers.push(await instance.connect());
    const ledger = new DuckDbLedger(path, options.node, instance, await instance.connect(), readers, memoryLimit);
    try {
      if (!options.readOnly) {
        await ledger.init();
        emptySpool(ledger.rowSpool);
        ledger.ownsSpool = true;
      } else await ledger.checkSchema();
    } catch (e) {
      await ledger.close();
      throw e;
    }
    return ledger;
  }

  private async init(): Promise<void> {
    await this.writer.run(CREATE_TABLES);
    const version = await this.schemaVersion();
    if (version === undefined) await this.writer.run(`INSERT INTO meta VALUES ('schema_version', '${SCHEMA_VERSION}')`);
    else if (MIGRATED_SCHEMA_VERSIONS.includes(version))
      await this.transaction((db) => db.run(migrationFrom(version, this.node)));
    else if (version !== SCHEMA_VERSION) throw this.versionError(version);
    await this.writer.run(USAGE_FULL_VIEW);
    await this.writer.run('CREATE OR REPLACE TEMP TABLE staging_rejects AS SELECT * FROM rejects LIMIT 0');
    this.batchSeq = Number(await this.scalar('SELECT coalesce(max(ingest_batch), 0) FROM usage'));
    const lastRejects = Number(await this.scalar('SELECT coalesce(max(ingest_batch), 0) FROM rejects'));
    this.batchSeq = Math.max(this.batchSeq, lastRejects);
  }

  private async schemaVersion(): Promise<string | undefined> {
    const rows = await this.rows(`SELECT value FROM meta WHERE key = 'schema_version'`).catch(() => []);
    return rows[0] === undefined ? undefined : String(rows[0].value);
  }

  private async checkSchema(): Promise<void> {
    const version = await this.schemaVersion();
    if (version === undefined) return;
    if (!READABLE_SCHEMA_VERSIONS.includes(version)) {
      if (Number(version) < Number(SCHEMA_VERSION))
        throw new LedgerVersionError(
          `${this.location}: ledger schema version ${version} is read after an upgrade: run \`tokenledger serve\` or \`tokenledger ingest\` on it once (they migrate it), then read it`
        );
      throw this.versionError(version);
    }
  }

  private versionError(version: string): LedgerError {
    return new LedgerVersionError(
      `${this.location}: ledger schema version ${version}; this tokenledger reads versions ${READABLE_SCHEMA_VERSIONS.join(' and ')} (a newer tokenledger wrote it?)`
    );
  }

  private async rows(sql: string, params: DuckDBValue[] = []): Promise<Record<string, unknown>[]> {
    return this.query(sql, params, (r) => r.getRowObjectsJS() as Record<string, unknown>[]);
  }

  private async scalar(sql: string, params: DuckDBValue[] = []): Promise<unknown> {
    return this.query(sql, params, (r) => r.getRowsJS()[0]?.[0]);
  }

  protected run(s: Statement): Promise<Record<string, unknown>[]> {
    return this.rows(s.sql, s.params.map(bindValue));
  }

  get queuedQueries(): number {
    return this.readSlots.queued;
  }

  /**
   * Runs a query on a free query connection, waiting (outside the thread pool) for one. Writes go first: while
   * one is queued or running, a new query waits for it to end. Queries and a commit share the cores (DuckDB
   * has no priorities), so under a steady stream of API queries a commit would get a small share of them;
   * this way it competes only with the queries already running (at most READ_CONNECTIONS), and the queries
   * that waited start as it ends, alongside the next one.
   */
  private async query<T>(sql: string, params: DuckDBValue[], convert: (result: DuckDBResultReader) => T): Promise<T> {
    if (this.writesDone) await this.writesDone.promise;
    return this.readSlots.run(async () => {
      const db = this.idleReaders.pop()!;
      try {
        return convert(await db.runAndReadAll(sql, params));
      } finally {
        this.idleReaders.push(db);
      }
    });
  }

  /** Runs `work` on the write connection after every earlier write has finished: writes never interleave. */
  private write<T>(work: (db: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.pendingWrites++ === 0) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.writesDone = { promise, resolve };
    }
    const run = () => work(this.writer);
    const next = this.writing.then(run, run);
    // Registered on `next` before the caller can await it, so it runs first: a write the caller starts right
    // after this one ends finds the queries that waited already let through, not a gate still closed.
    const ended = () => {
      if (--this.pendingWrites === 0) {
        this.writesDone!.resolve();
        this.writesDone = undefined;
      }
    };
    next.then(ended, ended);
    this.writing = next.catch(() => undefined);
    return next;
  }

  /** `work` in one transaction on the write connection, rolled back if it throws. */
  private transaction<T>(work: (db: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.write(async (db) => {
      await db.run('BEGIN TRANSACTION');
      try {
        const result = await work(db);
        await db.run('COMMIT');
        return result;
      } catch (e) {
        await db.run('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  async commitBatch({ id, rows: usage, rejects, positions, counters, push }: LedgerBatch): Promise<BatchResult> {
    if (usage.rows && usage.format !== this.rowFormat)
      throw new LedgerError(`${this.location}: rows encoded for ${usage.format}, not ${this.rowFormat}`);
    const batch = this.batchSeq + 1;
    const rows = usage.rows;
    let result: BatchResult = { inserted: 0, added: NO_METRIC_TOTALS, freshRejects: [], batch };
    try {
      await this.write(async (db) => {
        finishSpool(usage);
        if (rejects.length) {
          await db.run('DELETE FROM staging_rejects'); // left over if an earlier attempt could not clear it
          const appender = await db.createAppender('staging_rejects', 'main', 'temp');
          try {
            for (const r of rejects) appendReject(appender, r, batch);
          } finally {
            appender.closeSync();
          }
        }
        try {
          await db.run('BEGIN TRANSACTION');
          const known = push && (await db.runAndReadAll(pushReceiptSql(DIALECT), [id])).getRowObjectsJS()[0];
          if (known) {
            // This push committed before (its answer was lost, or it was sent again): answered with its receipt.
            result = await replayedPush(this.node, receiptFromRow(known), (batch) => this.replayed(db, batch, rejects));
            await db.run('ROLLBACK');
            return;
          }
          const last = push ? undefined : await this.lastBatch(db);
          if (last?.id === id) {
            // This batch committed before (its answer was lost): nothing more to store; answered as it was then.
            result = await this.replayed(db, last.batch ?? this.batchSeq, rejects);
            await db.run('ROLLBACK');
            return;
          }
          let added = NO_METRIC_TOTALS;
          if (rows) added = await this.addUsageRows(db, usage, batch);
          let freshRejects: RejectedLine[] = [];
          if (rejects.length) {
            const changed = (await db.run('INSERT OR IGNORE INTO rejects SELECT * FROM staging_rejects')).rowsChanged;
            freshRejects = changed === rejects.length ? [...rejects] : await this.landedRejects(db, rejects, batch);
          }
          for (const p of positions) {
            await db.run(
              `INSERT OR REPLACE INTO read_positions VALUES ($source, $fileKey, $path, $fp, $fpLen, $offset, $line, $finished, now()::TIMESTAMP)`,
              {
                source: p.source,
                fileKey: p.fileKey,
                path: p.path,
                fp: p.fingerprint,
                fpLen: p.fingerprintLen,
                offset: BigInt(p.offset),
                line: BigInt(p.line),
                finished: p.finished,
              }
            );
          }
          for (const c of counters) {
            if (c.delta === 0) continue;
            await db.run(
              'INSERT INTO counters VALUES ($name, $label, $delta) ON CONFLICT (name, label) DO UPDATE SET value = counters.value + excluded.value',
              { name: c.name, label: c.label, delta: BigInt(c.delta) }
            );
          }
          const inserted = added.cells.reduce((n, c) => n + c.requests, 0);
          let receipt: PushReceipt | undefined;
          if (push) {
            if (push.forgetBeforeMs !== undefined) await runStatement(db, forgetReceiptsStatement(push.forgetBeforeMs));
            receipt = storedReceipt(id, this.node, push, rows, inserted);
            await runStatement(db, insertReceiptStatement(receipt, batch));
          } else
            await db.run(
              `INSERT OR REPLACE INTO meta VALUES ('last_batch_id', ${literal(id)}), ('last_batch', '${batch}')`
            );
          await db.run('COMMIT');
          this.batchSeq = batch;
          result = { inserted, added, freshRejects, batch, ...(receipt ? { push: receipt } : {}) };
        } catch (e) {
          await db.run('ROLLBACK').catch(() => undefined);
          throw e;
        } finally {
          if (rejects.length) await db.run('DELETE FROM staging_rejects').catch(() => undefined);
        }
      });
    } catch (e) {
      throw new LedgerError(`${this.location}: cannot commit a batch: ${withoutData((e as Error).message)}`);
    }
    return result;
  }

  /**
   * Adds the batch files' new rows, and their sums to every rollup level, in the open transaction; returns what
   * they add to the metrics, summed over the batch's rows in `usage` (its number is the batch's alone).
   * Statements go to DuckDB several at a time: each round trip waits for this thread, which is busy reading the
   * next batch.
   */
  private async addUsageRows(db: DuckDBConnection, usage: EncodedRows, batch: number): Promise<MetricTotals> {
    const paths = (files: readonly SpooledFile[]) => files.map((f) => f.path);
    const files: BatchFiles = { whole: paths(usage.files), short: paths(usage.shortFiles) };
    const rare = files.whole.length > 0;
    const { minStartMs, maxStartMs } = usage;
    const stored = await db.runAndReadAll(anyStoredInRange(minStartMs, maxStartMs));
    const range = { minStartMs, maxStartMs, storedInRange: Number(stored.getColumnsJS()[0]![0]) > 0 };
    const repeated = await db.runAndReadAll(`
      ${insertNewUsageRows(files, batch, this.node, range)};
      ${rare ? `${insertRareRows(files.whole, batch)};` : ''}
      ${repeatedInBatch(batch)}`);
    if (Number(repeated.getColumnsJS()[0]![0])) await db.run(keepFirstRead(files, batch, this.node));
    await db.run(addBatchToRollups(storedBatchRows(batch, rare)));
    return this.batchTotals(db, batch, rare);
  }

  /** What batch `batch`'s rows add to the metrics (`rare`: storedBatchRows). */
  private async batchTotals(db: DuckDBConnection, batch: number, rare = true): Promise<MetricTotals> {
    const totals = metricTotalsQueries(storedBatchRows(batch, rare));
    const cells = await db.runAndReadAll(totals.cells);
    const byModel = await db.runAndReadAll(totals.byModel);
    return metricTotalsFrom(cells.getColumnsObjectJS(), byModel.getColumnsObjectJS());
  }

  /**
   * The id and number of the last batch that was not a push (pushes are recognised by their receipts, and may
   * commit between a file batch's attempts). A ledger of version 4 or earlier has no number: its last batch
   * was the last of all.
   */
  private async lastBatch(db: DuckDBConnection): Promise<{ id: string; batch: number | undefined } | undefined> {
    const meta = await db.runAndReadAll(`SELECT key, value FROM meta WHERE key IN ('last_batch_id', 'last_batch')`);
    const values = new Map((meta.getRowObjectsJS() as { key: string; value: string }[]).map((r) => [r.key, r.value]));
    const id = values.get('last_batch_id');
    const batch = values.get('last_batch');
    return id === undefined ? undefined : { id, batch: batch === undefined ? undefined : Number(batch) };
  }

  /** What batch `batch` stored, read back: the answer to a commit of it that is tried again. */
  private async replayed(db: DuckDBConnection, batch: number, rejects: readonly RejectedLine[]): Promise<BatchResult> {
    const added = await this.batchTotals(db, batch);
    return {
      inserted: added.cells.reduce((n, c) => n + c.requests, 0),
      added,
      freshRejects: rejects.length ? await this.landedRejects(db, rejects, batch) : [],
      batch,
      replayed: true,
    };
  }

  /** Which of a batch's rejects were new (a line re-read after a crash is not quarantined twice). Inside the batch's transaction. */
  private async landedRejects(
    db: DuckDBConnection,
    rejects: readonly RejectedLine[],
    batch: number
  ): Promise<RejectedLine[]> {
    const result = await db.runAndReadAll('SELECT path, byte_offset FROM rejects WHERE ingest_batch = $1', [
      BigInt(batch),
    ]);
    return rejectsAmong(rejects, result.getRowObjectsJS() as Record<string, unknown>[]);
  }

  async rejectsAfter(batch: number): Promise<{ batch: number; reject: RejectedLine }[]> {
    const rows = await this.rows(
      'SELECT * FROM rejects WHERE ingest_batch > $1 ORDER BY ingest_batch, path, byte_offset',
      [BigInt(batch)]
    );
    return rows.map((r) => ({ batch: Number(r.ingest_batch), reject: rejectFromRow(r) }));
  }

  async lastRejectBatch(): Promise<number> {
    return Number(await this.scalar('SELECT coalesce(max(ingest_batch), 0) FROM rejects'));
  }

  async readPositions(source?: string): Promise<ReadPosition[]> {
    const rows = await this.rows('SELECT * FROM read_positions WHERE source = coalesce($1, source)', [source ?? null]);
    return rows.map(positionFromRow);
  }

  async counters(): Promise<LedgerCounter[]> {
    const rows = await this.rows('SELECT name, label, value FROM counters');
    return rows.map((r) => ({ name: r.name as string, label: r.label as string, value: Number(r.value) }));
  }

  async lastCheckpointMs(): Promise<number> {
    return Number((await this.scalar('SELECT coalesce(epoch_ms(max(updated_at)), 0) FROM read_positions')) ?? 0);
  }

  /** The whole ledger: one process writes this file, so all of it is this node's. */
  async metricTotals(): Promise<MetricTotals> {
    const q = metricTotalsQueries('usage_full');
    const columns = (sql: string) => this.query(sql, [], (r) => r.getColumnsObjectJS());
    return metricTotalsFrom(await columns(q.cells), await columns(q.byModel));
  }

  repriceUnpriced(
    pricer: RowPricer,
    priceVersion: string,
    onPriced: (labels: string[], costPusd: bigint) => void
  ): Promise<number> {
    return repriceUnpriced({ transaction: (work) => this.transaction(work) }, pricer, priceVersion, onPriced);
  }

  repriceRange(
    range: { fromMs: number; toMs: number },
    price: (row: UnpricedRow) => Price | undefined,
    priceVersion: string,
    onRepriced: (labels: string[], costDeltaPusd: bigint) => void
  ): Promise<RepriceRun> {
    return repriceRange(
      { transaction: (work) => this.transaction(work) },
      { atMs: Date.now(), node: this.node, ...range, priceVersion },
      price,
      onRepriced
    );
  }

  async repriceRuns(): Promise<RepriceRun[]> {
    return runsFromRows(await this.rows(repriceRunsSql(DIALECT)));
  }

  /** By `usage`'s rowid: rows are never moved, and only retention deletes them. */
  async readUsage(
    after: string | undefined,
    limit: number
  ): Promise<{ rows: StoredUsage[]; next: string | undefined }> {
    const rows = await this.rows(
      `SELECT rid, epoch_ms(start_time) AS start_ms, ${STORED_USAGE_COLUMNS} FROM usage_full WHERE rid > $1 ORDER BY rid LIMIT ${Math.trunc(limit)}`,
      [BigInt(after ?? -1)]
    );
    return {
      rows: rows.map(usageFromRow),
      next: rows.length < limit ? undefined : String(rows[rows.length - 1]!.rid as bigint),
    };
  }

  /** Deletes the rows (DuckDB has no partitions to drop), in one transaction with their rows of every rollup level. */
  async dropMonthsBefore(cutoffMs: number): Promise<string[]> {
    const months = await this.rows(
      `SELECT DISTINCT strftime(hour, '%Y-%m') AS m FROM usage_hourly WHERE hour < $1 ORDER BY m`,
      [ts(cutoffMs)]
    );
    if (!months.length) return [];
    await this.transaction(async (db) => {
      for (const table of ['usage', 'usage_rare'])
        await db.run(`DELETE FROM ${table} WHERE start_time < $1`, [ts(cutoffMs)]);
      for (const l of ROLLUP_LEVELS) await db.run(`DELETE FROM ${l.table} WHERE ${l.time} < $1`, [ts(cutoffMs)]);
    });
    return months.map((r) => String(r.m));
  }

  /** An embedded file is always there once open. */
  async ping(): Promise<void> {}

  /**
   * DuckDB evicts what its buffer pool holds beyond its memory limit, so the limit is brought down to nothing and
   * back, after a checkpoint (what was committed since the last one is held in memory until it is written). What
   * cannot be evicted (a block a running query reads) stays, and DuckDB refuses the low limit: then nothing is
   * released, which is only memory. Between writes, so a commit never runs under the low limit.
   */
  async releaseCaches(): Promise<void> {
    if (this.closed) return;
    await this.write(async (db) => {
      try {
        await db.run('CHECKPOINT');
        await db.run(`SET memory_limit = '0MB'`);
      } catch {
        // Kept in use: see above.
      } finally {
        await db.run(`SET memory_limit = ${literal(this.memoryLimit)}`);
      }
    });
  }

  /** Closes the ledger; closing it again does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writing.catch(() => undefined);
    for (const r of this.readers) r.closeSync();
    this.writer.closeSync();
    this.instance.closeSync();
    if (this.ownsSpool) removeSpoolDir(this.rowSpool);
  }
}

function runStatement(db: DuckDBConnection, s: Statement): Promise<unknown> {
  return db.run(s.sql, s.params.map(bindValue));
}

function appendReject(a: DuckDBAppender, r: RejectedLine, batch: number): void {
  a.appendVarchar(r.source);
  a.appendVarchar(r.path);
  a.appendBigInt(BigInt(r.line));
  a.appendBigInt(BigInt(r.byteOffset));
  a.appendBigInt(BigInt(r.byteLength));
  a.appendVarchar(r.reason);
  appendText(a, r.field);
  a.appendVarchar(r.message);
  a.appendVarchar(r.lineSha256);
  appendText(a, r.excerpt);
  a.appendTimestamp(ts(Date.now()));
  a.appendBigInt(BigInt(batch));
  a.endRow();
}

function appendText(a: DuckDBAppender, v: string | undefined): void {
  if (v === undefined) a.appendNull();
  else a.appendVarchar(v);
}
