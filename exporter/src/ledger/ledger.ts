import { rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import {
  DuckDBAppender,
  DuckDBConnection,
  DuckDBInstance,
  DuckDBResultReader,
  DuckDBTimestampValue,
  DuckDBValue,
} from '@duckdb/node-api';
import { COUNT_REPEATS, DROP_LATER_REPEATS, EncodedRows, newUsageRows } from './batchFile';
import { Semaphore } from '../semaphore';
import { withoutData } from './errorText';
import { CREATE_TABLES, MIGRATE_USAGE_FROM_V1, READABLE_SCHEMA_VERSIONS, SCHEMA_VERSION } from './schema';
import { MetricTotals, metricTotalsFrom, metricTotalsQueries } from './metricTotals';

/** Where one source file has been read to; committed with the rows read from it. */
export interface ReadPosition {
  source: string;
  fileKey: string;
  path: string;
  fingerprint: string;
  fingerprintLen: number;
  offset: number;
  line: number;
  finished: boolean;
}

/** A quarantined line: where it is, why it was refused. Never its content, only a redacted excerpt. */
export interface RejectedLine {
  source: string;
  path: string;
  line: number;
  byteOffset: number;
  byteLength: number;
  reason: string;
  field: string | undefined;
  message: string;
  lineSha256: string;
  excerpt: string | undefined;
}

export interface BatchResult {
  /** Rows that were new to the ledger (repeats of a stored request are left out). */
  inserted: number;
  /**
   * What the rows that landed add to the metrics, summed by DuckDB inside the transaction (so a re-pricing
   * cannot touch them first, and repeats never reach a counter).
   */
  added: MetricTotals;
  /** The rejects that were new to the ledger (a line re-read after a crash is not quarantined twice). */
  freshRejects: RejectedLine[];
  batch: number;
}

export const DEFAULT_MEMORY_LIMIT = '1GB';

/**
 * Connections for queries, and so queries running at once. @duckdb/node-api runs every statement as a task on
 * libuv's thread pool, and a statement for a busy connection waits for it inside its pool thread: were queries
 * not held back here, a burst of API requests would fill the pool (4 threads unless UV_THREADPOOL_SIZE says
 * otherwise, see threadPool.ts) and queue the writer's statements, and the file reads, behind all of them. Two
 * let a short query pass a long one; each query already uses all of DuckDB's threads.
 */
export const READ_CONNECTIONS = 2;

/** Thrown when the ledger cannot be opened or written; the message says what to do. */
export class LedgerError extends Error {}

/** Another process (a running `tokenledger serve`?) holds the ledger file's lock. */
export class LedgerBusyError extends LedgerError {}

/** The file is not a DuckDB database, or DuckDB found damaged blocks in it. */
export class LedgerCorruptError extends LedgerError {}

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

/**
 * The embedded ledger: one DuckDB file. Writes go through `commitBatch`, one transaction per batch:
 * new rows (repeats of stored requests left out), read positions and counter deltas land together or
 * not at all, so a crash at any point neither loses nor duplicates a request.
 */
export class Ledger {
  private batchSeq = 0;
  private writing: Promise<unknown> = Promise.resolve();
  /** Each batch of rows goes to DuckDB as a TSV file read by its C++ CSV reader: far cheaper than one native call per value. */
  private readonly batchFile: string;
  /** Query connections not in use; `readSlots` hands them out, one query each. */
  private readonly idleReaders: DuckDBConnection[];
  private readonly readSlots: Semaphore;
  /** Writes queued or running; while there are any, new queries wait (see `query`). */
  private pendingWrites = 0;
  private writesDone: { promise: Promise<void>; resolve: () => void } | undefined;

  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    /** Every write goes through this connection, one transaction at a time (`write`). */
    private readonly writer: DuckDBConnection,
    /** Queries use their own connections: they see committed data only, never a batch half-way. */
    private readonly readers: DuckDBConnection[]
  ) {
    this.batchFile = `${path}.batch.tsv`;
    this.idleReaders = [...readers];
    this.readSlots = new Semaphore(readers.length);
  }

  /**
   * Opens (creating if needed) a ledger file. `memoryLimit` caps DuckDB's buffer memory (e.g. "1GB"): beyond
   * it DuckDB spills and evicts, so the process stays bounded however large the ledger grows.
   */
  static async open(path: string, options: { readOnly?: boolean; memoryLimit?: string } = {}): Promise<Ledger> {
    let instance: DuckDBInstance;
    const settings: Record<string, string> = { memory_limit: options.memoryLimit ?? DEFAULT_MEMORY_LIMIT };
    if (options.readOnly) settings.access_mode = 'READ_ONLY';
    try {
      instance = await DuckDBInstance.create(path, settings);
    } catch (e) {
      throw openError(path, (e as Error).message);
    }
    const readers: DuckDBConnection[] = [];
    for (let i = 0; i < READ_CONNECTIONS; i++) readers.push(await instance.connect());
    const ledger = new Ledger(path, instance, await instance.connect(), readers);
    if (!options.readOnly) await ledger.init();
    else await ledger.checkSchema();
    return ledger;
  }

  private async init(): Promise<void> {
    await this.writer.run(CREATE_TABLES);
    const version = await this.schemaVersion();
    if (version === undefined) await this.writer.run(`INSERT INTO meta VALUES ('schema_version', '${SCHEMA_VERSION}')`);
    else if (version === '1') await this.transaction((db) => db.run(MIGRATE_USAGE_FROM_V1));
    else if (version !== SCHEMA_VERSION) throw this.versionError(version);
    await this.writer.run('CREATE OR REPLACE TEMP TABLE staging_rejects AS SELECT * FROM rejects LIMIT 0');
    const seq = await this.scalar('SELECT coalesce(max(ingest_batch), 0) FROM usage');
    this.batchSeq = Number(seq);
  }

  private async schemaVersion(): Promise<string | undefined> {
    const rows = await this.rows(`SELECT value FROM meta WHERE key = 'schema_version'`).catch(() => []);
    return rows[0] === undefined ? undefined : String(rows[0].value);
  }

  private async checkSchema(): Promise<void> {
    const version = await this.schemaVersion();
    if (version !== undefined && !READABLE_SCHEMA_VERSIONS.includes(version)) throw this.versionError(version);
  }

  private versionError(version: string): LedgerError {
    return new LedgerError(
      `${this.path}: ledger schema version ${version}; this tokenledger reads versions ${READABLE_SCHEMA_VERSIONS.join(' and ')} (a newer tokenledger wrote it?)`
    );
  }

  async rows(sql: string, params: DuckDBValue[] = []): Promise<Record<string, unknown>[]> {
    return this.query(sql, params, (r) => r.getRowObjectsJS() as Record<string, unknown>[]);
  }

  async columns(sql: string): Promise<Record<string, unknown[]>> {
    return this.query(sql, [], (r) => r.getColumnsObjectJS());
  }

  async scalar(sql: string, params: DuckDBValue[] = []): Promise<unknown> {
    return this.query(sql, params, (r) => r.getRowsJS()[0]?.[0]);
  }

  /** Queries waiting for a connection (see READ_CONNECTIONS). */
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
  write<T>(work: (db: DuckDBConnection) => Promise<T>): Promise<T> {
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
  transaction<T>(work: (db: DuckDBConnection) => Promise<T>): Promise<T> {
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

  async commitBatch(
    usage: EncodedRows,
    rejects: readonly RejectedLine[],
    positions: readonly ReadPosition[],
    counterDeltas: ReadonlyMap<string, number>
  ): Promise<BatchResult> {
    const batch = ++this.batchSeq;
    const rows = usage.rows;
    let freshRejects: RejectedLine[] = [];
    let inserted = 0;
    let added: MetricTotals = { cells: [], latency: [], unpriced: [] };
    try {
      await this.write(async (db) => {
        if (rows) await writeFile(this.batchFile, usage.chunks);
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
          if (rows) {
            added = await this.addUsageRows(db, usage, batch);
            inserted = added.cells.reduce((n, c) => n + c.requests, 0);
          } else await db.run('BEGIN TRANSACTION');
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
          for (const [key, delta] of counterDeltas) {
            if (delta === 0) continue;
            const sep = key.indexOf('\u0000');
            await db.run(
              'INSERT INTO counters VALUES ($name, $label, $delta) ON CONFLICT (name, label) DO UPDATE SET value = counters.value + excluded.value',
              { name: key.slice(0, sep), label: key.slice(sep + 1), delta: BigInt(delta) }
            );
          }
          await db.run(rows ? 'DROP TABLE batch_rows; COMMIT' : 'COMMIT');
        } catch (e) {
          await db.run('ROLLBACK').catch(() => undefined);
          throw e;
        } finally {
          if (rejects.length) await db.run('DELETE FROM staging_rejects').catch(() => undefined);
        }
      });
    } catch (e) {
      throw new LedgerError(`${this.path}: cannot commit a batch: ${withoutData((e as Error).message)}`);
    }
    return { inserted, added, freshRejects, batch };
  }

  /**
   * Begins the batch's transaction and adds the batch file's new rows; returns what they add to the metrics.
   * Leaves the temp table `batch_rows` for the commit to drop.
   * The rows are staged first so their totals are summed over them alone, not found in the ledger. Statements
   * go to DuckDB several at a time: each round trip waits for this thread, which is busy reading the next batch.
   */
  private async addUsageRows(db: DuckDBConnection, usage: EncodedRows, batch: number): Promise<MetricTotals> {
    const staged = await db.runAndReadAll(`BEGIN TRANSACTION;
      CREATE OR REPLACE TEMP TABLE batch_rows AS ${newUsageRows(this.batchFile, batch, usage.minStartMs, usage.maxStartMs)};
      ${COUNT_REPEATS}`);
    if (Number(staged.getColumnsJS()[0]![0])) await db.run(DROP_LATER_REPEATS);
    const totals = metricTotalsQueries('batch_rows');
    const cells = await db.runAndReadAll(`INSERT INTO usage SELECT * EXCLUDE (seq) FROM batch_rows; ${totals.cells}`);
    const byModel = await db.runAndReadAll(totals.byModel);
    return metricTotalsFrom(cells.getColumnsObjectJS(), byModel.getColumnsObjectJS());
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
    const keys = new Set(
      (result.getRowObjectsJS() as Record<string, unknown>[]).map(
        (r) => `${String(r.path)}\u0000${String(r.byte_offset)}`
      )
    );
    return rejects.filter((r) => keys.has(`${r.path}\u0000${r.byteOffset}`));
  }

  /** The quarantined lines of the batches after `batch`, in batch order. */
  async rejectsAfter(batch: number): Promise<{ batch: number; reject: RejectedLine }[]> {
    const rows = await this.rows(
      'SELECT * FROM rejects WHERE ingest_batch > $1 ORDER BY ingest_batch, path, byte_offset',
      [BigInt(batch)]
    );
    return rows.map((r) => ({
      batch: Number(r.ingest_batch),
      reject: {
        source: r.source as string,
        path: r.path as string,
        line: Number(r.line),
        byteOffset: Number(r.byte_offset),
        byteLength: Number(r.byte_length),
        reason: r.reason as string,
        field: (r.field as string | null) ?? undefined,
        message: r.message as string,
        lineSha256: r.line_sha256 as string,
        excerpt: (r.excerpt as string | null) ?? undefined,
      },
    }));
  }

  /** The number of the last batch that quarantined a line; 0 when none did. */
  async lastRejectBatch(): Promise<number> {
    return Number(await this.scalar('SELECT coalesce(max(ingest_batch), 0) FROM rejects'));
  }

  async readPositions(source: string): Promise<ReadPosition[]> {
    const rows = await this.rows('SELECT * FROM read_positions WHERE source = $1', [source]);
    return rows.map((r) => ({
      source: r.source as string,
      fileKey: r.file_key as string,
      path: r.path as string,
      fingerprint: r.fingerprint as string,
      fingerprintLen: Number(r.fingerprint_len),
      offset: Number(r.offset),
      line: Number(r.line),
      finished: r.finished as boolean,
    }));
  }

  async counters(): Promise<{ name: string; label: string; value: number }[]> {
    const rows = await this.rows('SELECT name, label, value FROM counters');
    return rows.map((r) => ({ name: r.name as string, label: r.label as string, value: Number(r.value) }));
  }

  async close(): Promise<void> {
    await this.writing.catch(() => undefined);
    for (const r of this.readers) r.closeSync();
    this.writer.closeSync();
    this.instance.closeSync();
    rmSync(this.batchFile, { force: true });
  }
}

export function counterKey(name: string, label: string): string {
  return `${name}\u0000${label}`;
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
