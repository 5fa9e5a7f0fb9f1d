import { rmSync, writeFileSync } from 'node:fs';
import { DuckDBAppender, DuckDBConnection, DuckDBInstance, DuckDBTimestampValue, DuckDBValue } from '@duckdb/node-api';
import { UsageBatch, usageBatchLoader } from './batchFile';
import { CREATE_TABLES, SCHEMA_VERSION } from './schema';
import { UsageTotals, usageTotals } from './usageTotals';

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
  /** Rows that were new to the ledger (duplicates by idempotency key are left out). */
  inserted: number;
  /**
   * Only when some rows were already in the ledger (a re-read): what the rows that landed add to the metrics,
   * summed inside the transaction so a re-pricing cannot touch them first. Undefined when all rows were new.
   */
  landed: UsageTotals | undefined;
  /** The rejects that were new to the ledger (a line re-read after a crash is not quarantined twice). */
  freshRejects: RejectedLine[];
  batch: number;
}

export const DEFAULT_MEMORY_LIMIT = '1GB';

/** Thrown when the ledger cannot be opened or written; the message says what to do. */
export class LedgerError extends Error {}


function ts(ms: number): DuckDBTimestampValue {
  return new DuckDBTimestampValue(BigInt(Math.round(ms)) * 1000n);
}

/**
 * The embedded ledger: one DuckDB file. Writes go through `commitBatch`, one transaction per batch:
 * new rows (INSERT OR IGNORE on the idempotency key), read positions and counter deltas land together or
 * not at all, so a crash at any point neither loses nor duplicates a request.
 */
export class Ledger {
  private batchSeq = 0;
  private writing: Promise<unknown> = Promise.resolve();
  /** Each batch of rows goes to DuckDB as a TSV file read by its C++ CSV reader: far cheaper than one native call per value. */
  private readonly batchFile: string;

  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    /** Every write goes through this connection, one transaction at a time (`write`). */
    private readonly writer: DuckDBConnection,
    /** Queries use their own connection: they see committed data only, never a batch half-way. */
    private readonly reader: DuckDBConnection,
  ) {
    this.batchFile = `${path}.batch.tsv`;
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
      const msg = (e as Error).message;
      if (/lock/i.test(msg)) {
        throw new LedgerError(`${path}: the ledger is in use by another process (a running \`tokenledger serve\`?). Query it through its HTTP API, or stop it first. (${msg.split('\n')[0]})`);
      }
      throw new LedgerError(`${path}: cannot open the ledger: ${msg.split('\n')[0]}`);
    }
    const ledger = new Ledger(path, instance, await instance.connect(), await instance.connect());
    if (!options.readOnly) await ledger.init();
    else await ledger.checkSchema();
    return ledger;
  }

  private async init(): Promise<void> {
    await this.writer.run(CREATE_TABLES);
    await this.checkSchema();
    await this.writer.run(`INSERT OR IGNORE INTO meta VALUES ('schema_version', '${SCHEMA_VERSION}')`);
    await this.writer.run('CREATE OR REPLACE TEMP TABLE staging_rejects AS SELECT * FROM rejects LIMIT 0');
    const seq = await this.scalar('SELECT coalesce(max(ingest_batch), 0) FROM usage');
    this.batchSeq = Number(seq);
  }

  private async checkSchema(): Promise<void> {
    const rows = await this.rows(`SELECT value FROM meta WHERE key = 'schema_version'`).catch(() => []);
    const version = rows[0]?.value;
    if (version !== undefined && version !== SCHEMA_VERSION) {
      throw new LedgerError(`${this.path}: ledger schema version ${String(version)}; this tokenledger reads version ${SCHEMA_VERSION}`);
    }
  }

  async rows(sql: string, params: DuckDBValue[] = []): Promise<Record<string, unknown>[]> {
    const result = await this.reader.runAndReadAll(sql, params);
    return result.getRowObjectsJS() as Record<string, unknown>[];
  }

  async scalar(sql: string, params: DuckDBValue[] = []): Promise<unknown> {
    const result = await this.reader.runAndReadAll(sql, params);
    return result.getRowsJS()[0]?.[0];
  }

  /** Runs `work` on the write connection after every earlier write has finished: writes never interleave. */
  write<T>(work: (db: DuckDBConnection) => Promise<T>): Promise<T> {
    const run = () => work(this.writer);
    const next = this.writing.then(run, run);
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
    usage: UsageBatch,
    rejects: readonly RejectedLine[],
    positions: readonly ReadPosition[],
    counterDeltas: ReadonlyMap<string, number>,
  ): Promise<BatchResult> {
    const batch = ++this.batchSeq;
    const rows = usage.rows;
    let freshRejects: RejectedLine[] = [];
    let inserted = 0;
    let landed: UsageTotals | undefined;
    try {
      await this.write(async (db) => {
        if (rows) writeFileSync(this.batchFile, usage.bytes());
        if (rejects.length) {
          const appender = await db.createAppender('staging_rejects', 'main', 'temp');
          try {
            for (const r of rejects) appendReject(appender, r, batch);
          } finally {
            appender.closeSync();
          }
        }
        await db.run('BEGIN TRANSACTION');
        try {
          if (rows) inserted = (await db.run(`INSERT OR IGNORE INTO usage ${usageBatchLoader(this.batchFile, batch)}`)).rowsChanged;
          if (inserted < rows) landed = await usageTotals(async (sql) => (await db.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[], `ingest_batch = ${batch}`);
          if (rejects.length) {
            const changed = (await db.run('INSERT OR IGNORE INTO rejects SELECT * FROM staging_rejects')).rowsChanged;
            freshRejects = changed === rejects.length ? [...rejects] : await this.landedRejects(db, rejects, batch);
          }
          for (const p of positions) {
            await db.run(
              `INSERT OR REPLACE INTO read_positions VALUES ($source, $fileKey, $path, $fp, $fpLen, $offset, $line, $finished, now()::TIMESTAMP)`,
              { source: p.source, fileKey: p.fileKey, path: p.path, fp: p.fingerprint, fpLen: p.fingerprintLen, offset: BigInt(p.offset), line: BigInt(p.line), finished: p.finished },
            );
          }
          for (const [key, delta] of counterDeltas) {
            if (delta === 0) continue;
            const sep = key.indexOf('\u0000');
            await db.run(
              'INSERT INTO counters VALUES ($name, $label, $delta) ON CONFLICT (name, label) DO UPDATE SET value = counters.value + excluded.value',
              { name: key.slice(0, sep), label: key.slice(sep + 1), delta: BigInt(delta) },
            );
          }
          await db.run('COMMIT');
        } catch (e) {
          await db.run('ROLLBACK').catch(() => undefined);
          throw e;
        } finally {
          if (rejects.length) await db.run('DELETE FROM staging_rejects').catch(() => undefined);
        }
      });
    } catch (e) {
      throw new LedgerError(`${this.path}: cannot commit a batch: ${(e as Error).message}`);
    }
    return { inserted, landed, freshRejects, batch };
  }

  /** Which of a batch's rejects were new (a line re-read after a crash is not quarantined twice). Inside the batch's transaction. */
  private async landedRejects(db: DuckDBConnection, rejects: readonly RejectedLine[], batch: number): Promise<RejectedLine[]> {
    const result = await db.runAndReadAll('SELECT path, byte_offset FROM rejects WHERE ingest_batch = $1', [BigInt(batch)]);
    const keys = new Set((result.getRowObjectsJS() as Record<string, unknown>[]).map((r) => `${String(r.path)}\u0000${String(r.byte_offset)}`));
    return rejects.filter((r) => keys.has(`${r.path}\u0000${r.byteOffset}`));
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
    this.reader.closeSync();
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
