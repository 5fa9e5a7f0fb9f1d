import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Client, ClientConfig, Pool, PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Price } from '../../pricing/pricer';
import {
  BatchResult,
  Ledger,
  LedgerBatch,
  LedgerCounter,
  LedgerError,
  LedgerUnavailableError,
  LedgerVersionError,
  PushReceipt,
  ReadPosition,
  RejectedLine,
  RepriceRun,
  RowPricer,
  UnpricedRow,
} from '../ledger';
import { MetricTotals, NO_METRIC_TOTALS } from '../metricTotals';
import { shiftRollupsSql } from '../rollups';
import { finishSpool, monthOf, RowFormat, spooledText, StoredUsage } from '../rows';
import { privateSpool, removeSpoolDir } from '../spool';
import { SqlLedger } from '../sql/sqlLedger';
import { metricTotalsFrom, metricTotalsQueries } from '../sql/metricTotalsSql';
import { positionFromRow, rejectFromRow, rejectsAmong, STORED_USAGE_COLUMNS, usageFromRow } from '../sql/storedRows';
import {
  chunkTotals,
  labelsOf,
  mayPriceAny,
  modelNamingsSql,
  PricedTally,
  recordRunParams,
  RECORD_RUN_CHUNK,
  REPRICE_CHUNK,
  REPRICE_COLUMNS,
  repriceRunsSql,
  RowUpdate,
  rowUpdates,
  RunTally,
  runIdOf,
  runsFromRows,
} from '../sql/repricing';
import { SqlDialect, SqlTime, SqlValue, Statement } from '../sql/usageQueries';
import {
  forgetReceiptsStatement,
  insertReceiptStatement,
  pushReceiptSql,
  receiptFromRow,
  replayedPush,
  storedReceipt,
} from '../sql/pushReceipts';
import { classify, isMissingPartition, isRetryableConflict, isUniqueViolation } from './errors';
import { ADD_BATCH_TO_ROLLUP, BATCH_TOTALS, CREATE_BATCH_TABLES, insertNewRowsSql } from './batchSql';
import {
  CREATE_TABLES,
  createPartitions,
  COARSE_LEVELS_KEPT,
  MIGRATED_SCHEMA_VERSIONS,
  migrationFrom,
  PARTITIONED_TABLES,
  monthPartition,
  partitionMonth,
  SCHEMA_VERSION,
} from './schema';

export interface PostgresOptions {
  /** postgres://user[:password]@host:port/database (the password may come from `password` instead). */
  url: string;
  password?: string;
  /** Connections in the pool. */
  pool: number;
  node: string;
}

const DIALECT: SqlDialect = {
  epochMs: (expr) => `(extract(epoch from ${expr}) * 1000)::bigint`,
  usageRows: 'usage',
};

/**
 * A time as PostgreSQL reads a `timestamp` (UTC, no zone). Not toISOString: past year 9999 (the end of the
 * range a query may name) it writes "+010000", which PostgreSQL reads as a zone.
 */
export function pgTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}.${String(d.getUTCMilliseconds()).padStart(3, '0')}`;
}
const bindValue = (v: SqlValue): unknown =>
  v instanceof SqlTime ? pgTime(v.ms) : typeof v === 'bigint' ? String(v) : v;

const bindPg = (v: unknown): unknown => (typeof v === 'bigint' ? String(v) : v);

/** A chunk's new prices applied to `usage` and its rollup, in the chunk's transaction (rows locked). */
async function applyUpdates(c: PoolClient, updates: RowUpdate[], priceVersion: string): Promise<void> {
  await c.query(
    'CREATE TEMP TABLE IF NOT EXISTS reprice_rows (k text, t timestamp, cost bigint, fee bigint, charge bigint, priced_model text) ON COMMIT DELETE ROWS'
  );
  await c.query(
    `INSERT INTO reprice_rows SELECT * FROM unnest($1::text[], $2::timestamp[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[])`,
    [
      updates.map((u) => String(u.row.record_key)),
      updates.map((u) => String(u.row.start_text)),
      updates.map((u) => String(u.price.costPusd)),
      updates.map((u) => String(u.price.feePusd)),
      updates.map((u) => String(u.price.chargePusd)),
      updates.map((u) => u.price.pricedModel),
    ]
  );
  const staged = '(SELECT u.* FROM usage u JOIN reprice_rows s ON u.record_key = s.k AND u.start_time = s.t) r';
  await c.query(`${COARSE_LEVELS_KEPT}; ${shiftRollupsSql('-', staged)}`);
  await c.query(
    `UPDATE usage SET cost_pusd = s.cost, fee_pusd = s.fee, charge_pusd = s.charge, priced_model = s.priced_model,
       price_version = $1
     FROM reprice_rows s WHERE usage.record_key = s.k AND usage.start_time = s.t`,
    [priceVersion]
  );
  await c.query(shiftRollupsSql('+', staged));
}

/** A URL without its password, for messages. */
function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(not a URL)';
  }
}

/** A statement that runs longer than this is given up (and its transaction rolled back): a hung connection. */
const QUERY_TIMEOUT_MS = 120_000;

/** Memory for a batch's sorts and sums (a session setting, for its transaction only). */
const BATCH_WORK_MEM = '64MB';

/** A batch's insert into `usage` when none of its rows is expected to be stored already, and when some are. */
const INSERT_ALL_NEW = insertNewRowsSql(false);
const INSERT_NEW_AMONG_REPEATS = insertNewRowsSql(true);

/** How many times a batch is tried again, at once, when PostgreSQL picked it as a deadlock's victim. */
const CONFLICT_RETRIES = 5;

/**
 * The shared ledger: one PostgreSQL database that any number of replicas write and read. A batch is one
 * transaction: its rows are copied (COPY) into a session's staging table, inserted with the database's
 * unique index deciding what is new, added to the hourly rollup, and committed with the node's read
 * positions, counters and rejects. The node's last batch id, updated in the same transaction, makes a
 * commit retried after a lost answer store nothing twice.
 */
export class PostgresLedger extends SqlLedger implements Ledger {
  protected readonly dialect = DIALECT;
  readonly rowFormat: RowFormat = 'postgres';
  /** Months whose partitions are known to exist. */
  private readonly months = new Set<number>();

  /**
   * Whether this node's last batch held rows the ledger had stored already (a file re-read after a crash, a push
   * that another replica stored too): its next one is inserted expecting repeats (`insertRows`).
   */
  private metRepeats = false;

  /** The session that holds this node's lock (see `lockNode`); undefined once it ended. */
  private nodeLock: Client | undefined;

  private constructor(
    readonly location: string,
    readonly node: string,
    private readonly pool: Pool,
    private readonly connection: ClientConfig,
    /** In the system's temporary directory: the ledger is elsewhere, and several may be open in one process. */
    readonly rowSpool: string
  ) {
    super();
  }

  /** The URL without its password, for messages. */
  static location(url: string): string {
    return redactedUrl(url);
  }

  static async open(options: PostgresOptions): Promise<PostgresLedger> {
    const location = redactedUrl(options.url);
    const connection: ClientConfig = {
      connectionString: options.url,
      ...(options.password !== undefined ? { password: options.password } : {}),
      connectionTimeoutMillis: 10_000,
      // A network that drops a connection silently is found out in seconds, not at the system's TCP timeout
      // (hours): the commit or query on it fails, and is retried.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      query_timeout: QUERY_TIMEOUT_MS,
      application_name: `tokenledger ${options.node}`,
    };
    // A connection that sat idle may have been cut (PostgreSQL restarted): replace it rather than fail on it.
    const pool = new Pool({ ...connection, max: options.pool, idleTimeoutMillis: 30_000 });
    // An idle connection that breaks (PostgreSQL restarted) is an event, not a crash: the next query reconnects.
    pool.on('error', () => undefined);
    // So is one that breaks while checked out, between two queries of a transaction (PostgreSQL killed): the
    // pool listens only to idle connections, and an 'error' event nobody listens to ends the process. The
    // query it interrupts, or the next one on it, fails with the error instead, and the commit is retried.
    pool.on('connect', (client) => client.on('error', () => undefined));
    const ledger = new PostgresLedger(location, options.node, pool, connection, privateSpool());
    try {
      await ledger.init();
      await ledger.lockNode();
    } catch (e) {
      await pool.end().catch(() => undefined);
      removeSpoolDir(ledger.rowSpool);
      // At start a host name that does not resolve is a wrong URL, not a server to wait for (later, a blip of DNS).
      if ((e as { code?: string }).code === 'ENOTFOUND')
        throw new LedgerError(`${location}: cannot open the ledger: its host is not found; check the URL`);
      throw classify(location, 'cannot open the ledger', e);
    }
    return ledger;
  }

  /**
   * Takes this node's lock, a session advisory lock held on a connection of its own while the ledger is open:
   * two replicas with one node name would share read positions, counters and the last batch id, so the second
   * waits (unavailable, retried by `serve`) until the first is gone. A replica killed a moment ago is gone as
   * soon as PostgreSQL sees its connection close.
   */
  private async lockNode(): Promise<void> {
    const client = new Client(this.connection);
    client.on('error', () => undefined);
    client.on('end', () => {
      if (this.nodeLock === client) this.nodeLock = undefined;
    });
    await client.connect();
    try {
      const r = await client.query<{ locked: boolean }>(
        `SELECT pg_try_advisory_lock(hashtext('tokenledger node'), hashtext($1)) AS locked`,
        [this.node]
      );
      if (!r.rows[0]!.locked)
        throw new LedgerUnavailableError(
          `${this.location}: node ${this.node} is in use by another replica (two replicas with one node name, or one that stopped a moment ago)`
        );
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
    this.nodeLock = client;
  }

  /** Creates or checks the schema; replicas starting together take turns (an advisory lock). */
  private async init(): Promise<void> {
    await this.inTransaction(async (c) => {
      await c.query(`SELECT pg_advisory_xact_lock(hashtext('tokenledger schema'))`);
      await c.query(CREATE_TABLES);
      const meta = await c.query<{ value: string }>(`SELECT value FROM meta WHERE key = 'schema_version'`);
      const version = meta.rows[0]?.value;
      if (version === undefined) await c.query(`INSERT INTO meta VALUES ('schema_version', $1)`, [SCHEMA_VERSION]);
      else if (MIGRATED_SCHEMA_VERSIONS.includes(version))
        await c.query(migrationFrom(version, await this.partitionMonths(c, ['usage_hourly'])));
      else if (version !== SCHEMA_VERSION)
        throw new LedgerVersionError(
          `${this.location}: ledger schema version ${version}; this tokenledger reads version ${SCHEMA_VERSION} (a newer tokenledger wrote it?)`
        );
    });
  }

  /** The months any of `tables` has a partition of, in order. */
  private async partitionMonths(c: Pool | PoolClient, tables: readonly string[]): Promise<number[]> {
    const parts = await c.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
       WHERE p.relname = ANY($1) AND p.relnamespace = to_regnamespace(current_schema())::oid`,
      [tables]
    );
    return [...new Set(parts.rows.flatMap((r) => partitionMonth(r.name) ?? []))].sort((a, b) => a - b);
  }

  get queuedQueries(): number {
    return this.pool.waitingCount;
  }

  private async inTransaction<T>(work: (c: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch((r: Error) => (broken = r));
      throw e;
    } finally {
      // A connection whose ROLLBACK failed is in an unknown state: closed, not reused.
      client.release(broken);
    }
  }

  private async rows(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
    try {
      return (await this.pool.query(sql, params)).rows as Record<string, unknown>[];
    } catch (e) {
      throw classify(this.location, 'query failed', e);
    }
  }

  protected run(s: Statement): Promise<Record<string, unknown>[]> {
    return this.rows(s.sql, s.params.map(bindValue));
  }

  /** Creates the month partitions a batch needs, each once, in its own short transaction. */
  private async ensurePartitions(months: readonly number[]): Promise<void> {
    const missing = months.filter((m) => !this.months.has(m));
    if (!missing.length) return;
    await this.inTransaction(async (c) => {
      await c.query(`SELECT pg_advisory_xact_lock(hashtext('tokenledger partitions'))`);
      for (const m of missing) await c.query(createPartitions(m));
    });
    for (const m of missing) this.months.add(m);
  }

  async commitBatch(b: LedgerBatch): Promise<BatchResult> {
    if (b.rows.rows && b.rows.format !== this.rowFormat)
      throw new LedgerError(`${this.location}: rows encoded for ${b.rows.format}, not ${this.rowFormat}`);
    try {
      finishSpool(b.rows);
    } catch (e) {
      throw new LedgerError(`${this.location}: cannot commit a batch: ${(e as Error).message}`);
    }
    for (let attempt = 0; ; attempt++) {
      try {
        await this.ensurePartitions(b.rows.months);
        return await this.inTransaction((c) => this.storeBatch(c, b));
      } catch (e) {
        if (attempt < CONFLICT_RETRIES && isMissingPartition(e)) {
          // Another replica's retention dropped a month this batch has rows of: made again, and dropped again
          // by the next retention pass.
          this.months.clear();
          continue;
        }
        if (attempt < CONFLICT_RETRIES && isRetryableConflict(e)) continue;
        throw classify(this.location, 'cannot commit a batch', e);
      }
    }
  }

  private async storeBatch(c: PoolClient, b: LedgerBatch): Promise<BatchResult> {
    const last = await c.query<{ last_batch_id: string; last_batch: string }>(
      'SELECT last_batch_id, last_batch FROM nodes WHERE node = $1 FOR UPDATE',
      [this.node]
    );
    if (b.push) {
      // Replicas committing the same push take turns here: the later one reads the earlier one's receipt (each
      // statement sees what committed before it), and stores nothing. The primary key enforces it regardless.
      await c.query(`SELECT pg_advisory_xact_lock(hashtext('tokenledger push'), hashtext($1))`, [b.id]);
      const known = await c.query(pushReceiptSql(DIALECT), [b.id]);
      if (known.rows[0])
        return replayedPush(this.node, receiptFromRow(known.rows[0] as Record<string, unknown>), (batch) =>
          this.replayed(c, b, batch)
        );
    } else if (last.rows[0]?.last_batch_id === b.id) {
      // This batch committed before (its answer was lost): nothing more to store; answered as it was then.
      return this.replayed(c, b, Number(last.rows[0].last_batch));
    }
    const batch = Number((await c.query<{ n: string }>(`SELECT nextval('ledger_batch') AS n`)).rows[0]!.n);
    let added = NO_METRIC_TOTALS;
    if (b.rows.rows) {
      // A batch's sorts and sums fit in memory (4 MB, the default, made them spill to disk).
      await c.query(`SET LOCAL work_mem = '${BATCH_WORK_MEM}'; ${CREATE_BATCH_TABLES}`);
      await pipeline(Readable.from(spooledText(b.rows)), c.query(copyFrom('COPY staging FROM STDIN')));
      await this.insertRows(c, batch);
      added = metricTotalsFrom(await this.columns(c, BATCH_TOTALS.cells), await this.columns(c, BATCH_TOTALS.byModel));
    }
    const freshRejects = b.rejects.length ? await this.storeRejects(c, b.rejects, batch) : [];
    for (const p of b.positions) {
      await c.query(
        `INSERT INTO read_positions VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() AT TIME ZONE 'UTC')
         ON CONFLICT (node, source, file_key) DO UPDATE SET path = excluded.path, fingerprint = excluded.fingerprint,
           fingerprint_len = excluded.fingerprint_len, "offset" = excluded."offset", line = excluded.line,
           finished = excluded.finished, updated_at = excluded.updated_at`,
        [this.node, p.source, p.fileKey, p.path, p.fingerprint, p.fingerprintLen, p.offset, p.line, p.finished]
      );
    }
    for (const k of b.counters) {
      if (k.delta === 0) continue;
      await c.query(
        `INSERT INTO counters VALUES ($1, $2, $3, $4)
         ON CONFLICT (node, name, label) DO UPDATE SET value = counters.value + excluded.value`,
        [this.node, k.name, k.label, k.delta]
      );
    }
    const inserted = added.cells.reduce((n, x) => n + x.requests, 0);
    this.metRepeats = inserted < b.rows.rows;
    let receipt: PushReceipt | undefined;
    if (b.push) {
      if (b.push.forgetBeforeMs !== undefined) await this.runIn(c, forgetReceiptsStatement(b.push.forgetBeforeMs));
      receipt = storedReceipt(b.id, this.node, b.push, b.rows.rows, inserted);
      await this.runIn(c, insertReceiptStatement(receipt, batch));
    } else
      await c.query(
        `INSERT INTO nodes VALUES ($1, $2, $3)
         ON CONFLICT (node) DO UPDATE SET last_batch_id = excluded.last_batch_id, last_batch = excluded.last_batch`,
        [this.node, b.id, batch]
      );
    // Last: replicas storing the same hours add to the same rollup rows, and each waits for the other's
    // commit there, so the rows stay locked only for the commit itself.
    if (b.rows.rows) await c.query(ADD_BATCH_TO_ROLLUP);
    return { inserted, added, freshRejects, batch, ...(receipt ? { push: receipt } : {}) };
  }

  /**
   * The staged rows into `usage` (insertNewRowsSql): a plain insert first, in a savepoint, unless the last batch
   * met repeats; a repeat fails it, and the rows go in again with repeats expected. The unique index decides
   * what is new either way, also against a replica inserting the same request at the same moment (the insert
   * waits for its commit, then fails or skips the row).
   */
  private async insertRows(c: PoolClient, batch: number): Promise<void> {
    const params = [batch, this.node];
    if (this.metRepeats) {
      await c.query(INSERT_NEW_AMONG_REPEATS, params);
      return;
    }
    await c.query('SAVEPOINT all_new');
    try {
      await c.query(INSERT_ALL_NEW, params);
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      await c.query('ROLLBACK TO SAVEPOINT all_new');
      await c.query(INSERT_NEW_AMONG_REPEATS, params);
    }
    await c.query('RELEASE SAVEPOINT all_new');
  }

  private async runIn(c: PoolClient, s: Statement): Promise<void> {
    await c.query(s.sql, s.params.map(bindValue));
  }

  /**
   * What batch `batch` of this node stored, read back (its rows found by the unique index's time range): the
   * answer to a commit of it that is tried again, so counters and the reject file get what it stored.
   */
  private async replayed(c: PoolClient, b: LedgerBatch, batch: number): Promise<BatchResult> {
    let added = NO_METRIC_TOTALS;
    if (b.rows.rows) {
      const q = metricTotalsQueries(
        'usage',
        'node = $1 AND ingest_batch = $2 AND start_time BETWEEN $3::timestamp AND $4::timestamp'
      );
      const params = [this.node, batch, pgTime(b.rows.minStartMs), pgTime(b.rows.maxStartMs)];
      added = metricTotalsFrom(await this.columns(c, q.cells, params), await this.columns(c, q.byModel, params));
    }
    let freshRejects: RejectedLine[] = [];
    if (b.rejects.length) {
      const stored = await c.query('SELECT path, byte_offset FROM rejects WHERE node = $1 AND ingest_batch = $2', [
        this.node,
        batch,
      ]);
      freshRejects = rejectsAmong(b.rejects, stored.rows as Record<string, unknown>[]);
    }
    return { inserted: added.cells.reduce((n, x) => n + x.requests, 0), added, freshRejects, batch, replayed: true };
  }

  /** Stores the rejects that are new; returns them (a line re-read after a crash is not quarantined twice). */
  private async storeRejects(c: PoolClient, rejects: readonly RejectedLine[], batch: number): Promise<RejectedLine[]> {
    const col = <T>(f: (r: RejectedLine) => T) => rejects.map(f);
    const landed = await c.query(
      `INSERT INTO rejects
       SELECT $1, s, p, l, o, n, r, f, m, h, e, now() AT TIME ZONE 'UTC', $12
       FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
         AS t(s, p, l, o, n, r, f, m, h, e)
       ON CONFLICT DO NOTHING RETURNING path, byte_offset`,
      [
        this.node,
        col((r) => r.source),
        col((r) => r.path),
        col((r) => r.line),
        col((r) => r.byteOffset),
        col((r) => r.byteLength),
        col((r) => r.reason),
        col((r) => r.field ?? null),
        col((r) => r.message),
        col((r) => r.lineSha256),
        col((r) => r.excerpt ?? null),
        batch,
      ]
    );
    return rejectsAmong(rejects, landed.rows as Record<string, unknown>[]);
  }

  private async columns(c: PoolClient, sql: string, params: unknown[] = []): Promise<Record<string, unknown[]>> {
    const result = await c.query({ text: sql, values: params, rowMode: 'array' });
    const out: Record<string, unknown[]> = {};
    result.fields.forEach((f, i) => (out[f.name] = (result.rows as unknown[][]).map((r) => r[i])));
    return out;
  }

  async rejectsAfter(batch: number): Promise<{ batch: number; reject: RejectedLine }[]> {
    const rows = await this.rows(
      'SELECT * FROM rejects WHERE node = $1 AND ingest_batch > $2 ORDER BY ingest_batch, path, byte_offset',
      [this.node, batch]
    );
    return rows.map((r) => ({ batch: Number(r.ingest_batch), reject: rejectFromRow(r) }));
  }

  async lastRejectBatch(): Promise<number> {
    const rows = await this.rows('SELECT coalesce(max(ingest_batch), 0) AS n FROM rejects WHERE node = $1', [
      this.node,
    ]);
    return Number(rows[0]!.n);
  }

  async readPositions(source?: string): Promise<ReadPosition[]> {
    const rows = await this.rows('SELECT * FROM read_positions WHERE node = $1 AND source = coalesce($2, source)', [
      this.node,
      source ?? null,
    ]);
    return rows.map(positionFromRow);
  }

  async counters(): Promise<LedgerCounter[]> {
    const rows = await this.rows('SELECT name, label, value FROM counters WHERE node = $1', [this.node]);
    return rows.map((r) => ({ name: r.name as string, label: r.label as string, value: Number(r.value) }));
  }

  async lastCheckpointMs(): Promise<number> {
    const rows = await this.rows(
      `SELECT coalesce(${DIALECT.epochMs('max(updated_at)')}, 0) AS ms FROM read_positions WHERE node = $1`,
      [this.node]
    );
    return Number(rows[0]!.ms);
  }

  /** The rows this node stored: each replica's counters count its own, so their sum over replicas is the fleet's. */
  async metricTotals(): Promise<MetricTotals> {
    const q = metricTotalsQueries('usage', 'node = $1');
    const client = await this.pool.connect();
    try {
      return metricTotalsFrom(
        await this.columns(client, q.cells, [this.node]),
        await this.columns(client, q.byModel, [this.node])
      );
    } catch (e) {
      throw classify(this.location, 'query failed', e);
    } finally {
      client.release();
    }
  }

  /** This node's unpriced rows (another replica prices its own), in chunks (`repriceChunks`). */
  async repriceUnpriced(
    pricer: RowPricer,
    priceVersion: string,
    onPriced: (labels: string[], costPusd: bigint) => void
  ): Promise<number> {
    const unpriced = 'node = $1 AND cost_pusd IS NULL';
    if (!mayPriceAny(await this.rows(modelNamingsSql('usage', unpriced), [this.node]), pricer)) return 0;
    const priced = new PricedTally(onPriced);
    const price = (row: UnpricedRow) => pricer.price(row);
    await this.repriceChunks(unpriced, [this.node], price, priceVersion, async () => undefined, priced.add);
    return priced.count;
  }

  /** Every node's rows of the range: a corrected book applies to the fleet's ledger, once. */
  async repriceRange(
    range: { fromMs: number; toMs: number },
    price: (row: UnpricedRow) => Price | undefined,
    priceVersion: string,
    onRepriced: (labels: string[], costDeltaPusd: bigint) => void
  ): Promise<RepriceRun> {
    const run = { atMs: Date.now(), node: this.node, ...range, priceVersion };
    const runId = runIdOf(run);
    const tally = new RunTally();
    await this.repriceChunks(
      'start_time >= $1::timestamp AND start_time < $2::timestamp',
      [pgTime(range.fromMs), pgTime(range.toMs)],
      price,
      priceVersion,
      async (c, rows, updates) => {
        for (const m of chunkTotals(rows, updates))
          await c.query(RECORD_RUN_CHUNK, recordRunParams(run, runId, m, pgTime).map(bindPg));
      },
      (rows, updates) => {
        tally.add(chunkTotals(rows, updates));
        for (const u of updates) onRepriced(labelsOf(u.row), u.price.costPusd - (u.oldCostPusd ?? 0n));
      }
    );
    return tally.run(run);
  }

  async repriceRuns(): Promise<RepriceRun[]> {
    return runsFromRows(await this.rows(repriceRunsSql(DIALECT)));
  }

  /**
   * Re-prices the rows `where` selects, in chunks by (start_time, record_key), each read (locked: FOR UPDATE),
   * priced and applied in one transaction: the rows' measures taken from the rollup, the rows updated, their
   * measures added back; `onChunk` adds to it (the run's record). A chunk PostgreSQL picked as a deadlock's
   * victim (its rollup rows against a replica's commit) is tried again. `onUpdated` hears of each committed chunk.
   */
  private async repriceChunks(
    where: string,
    params: unknown[],
    price: (row: UnpricedRow) => Price | undefined,
    priceVersion: string,
    onChunk: (c: PoolClient, rows: Record<string, unknown>[], updates: RowUpdate[]) => Promise<void>,
    onUpdated: (rows: Record<string, unknown>[], updates: RowUpdate[]) => void
  ): Promise<void> {
    let after: [string, string] = ['-infinity', ''];
    const n = params.length;
    for (;;) {
      const chunk = async (c: PoolClient) => {
        const read = await c.query(
          `SELECT record_key, start_time::text AS start_text, ${DIALECT.epochMs('start_time')} AS start_ms, ${REPRICE_COLUMNS}
           FROM usage WHERE ${where} AND (start_time, record_key) > ($${n + 1}::timestamp, $${n + 2})
           ORDER BY start_time, record_key LIMIT ${REPRICE_CHUNK} FOR UPDATE`,
          [...params, ...after]
        );
        const rows = read.rows as Record<string, unknown>[];
        const updates = rowUpdates(rows, price);
        if (updates.length) await applyUpdates(c, updates, priceVersion);
        if (rows.length) await onChunk(c, rows, updates);
        return { rows, updates };
      };
      const { rows, updates } = await this.withConflictRetries(() => this.inTransaction(chunk));
      if (rows.length === 0) return;
      const last = rows[rows.length - 1]!;
      after = [String(last.start_text), String(last.record_key)];
      onUpdated(rows, updates);
    }
  }

  private async withConflictRetries<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await work();
      } catch (e) {
        if (attempt < CONFLICT_RETRIES && isRetryableConflict(e)) continue;
        throw classify(this.location, 'cannot re-price', e);
      }
    }
  }

  /** By (start_time, record_key), the unique index's order; `next` is both, as JSON. */
  async readUsage(
    after: string | undefined,
    limit: number
  ): Promise<{ rows: StoredUsage[]; next: string | undefined }> {
    const [time, key] = after === undefined ? ['-infinity', ''] : (JSON.parse(after) as [string, string]);
    const rows = await this.rows(
      `SELECT start_time::text AS start_text, ${DIALECT.epochMs('start_time')} AS start_ms, ${STORED_USAGE_COLUMNS}
       FROM usage WHERE (start_time, record_key) > ($1::timestamp, $2) ORDER BY start_time, record_key LIMIT ${Math.trunc(limit)}`,
      [time, key]
    );
    const last = rows[rows.length - 1];
    return {
      rows: rows.map(usageFromRow),
      next: rows.length < limit || !last ? undefined : JSON.stringify([last.start_text, last.record_key]),
    };
  }

  /**
   * Drops the monthly partitions of `usage` and of every rollup level that end at or before the cutoff, each
   * month's in one transaction; replicas doing it at once take turns (the partitions' advisory lock).
   */
  async dropMonthsBefore(cutoffMs: number): Promise<string[]> {
    const cutoff = monthOf(cutoffMs);
    // Of every partitioned table: a replica of version 2 dropped only `usage` and `usage_hourly` partitions.
    const months = await this.partitionMonths(this.pool, PARTITIONED_TABLES).catch((e: unknown) =>
      Promise.reject(classify(this.location, 'query failed', e))
    );
    const dropped: string[] = [];
    for (const month of months.filter((m) => m < cutoff)) {
      const p = monthPartition(month);
      await this.inTransaction(async (c) => {
        await c.query(`SELECT pg_advisory_xact_lock(hashtext('tokenledger partitions'))`);
        await c.query(PARTITIONED_TABLES.map((t) => `DROP TABLE IF EXISTS ${t}_${p.suffix};`).join(' '));
      });
      this.months.delete(month);
      dropped.push(p.from.slice(0, 7));
    }
    return dropped.sort();
  }

  /** The cache is the server's (shared_buffers), not this process's. */
  async releaseCaches(): Promise<void> {}

  /** Also takes this node's lock again when its session ended (PostgreSQL restarted). */
  async ping(): Promise<void> {
    await this.rows('SELECT 1');
    if (!this.nodeLock) await this.lockNode().catch((e) => Promise.reject(classify(this.location, 'node lock', e)));
  }

  async close(): Promise<void> {
    const lock = this.nodeLock;
    this.nodeLock = undefined;
    await lock?.end().catch(() => undefined);
    await this.pool.end();
    removeSpoolDir(this.rowSpool);
  }
}
