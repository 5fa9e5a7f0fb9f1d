import type { Price } from '../pricing/pricer';
import type { PricingInputs } from '../types';
import type { MetricTotals } from './metricTotals';
import type { BreakdownQuery, BreakdownRow, Dimension, RowSelection, Scope, Series, UsageTotals } from './queries';
import type { EncodedRows, RowFormat, StoredUsage } from './rows';

/**
 * The ledger as the rest of the exporter sees it: domain verbs, whole operations, never SQL or an engine's
 * types (in the spirit of Prometheus' storage interface: a batch commits whole or not at all, and queries
 * read a time range). Two engines implement it: DuckDB, one embedded file (duckdb/), and PostgreSQL, one
 * ledger shared by many replicas (postgres/); `openLedger` (open.ts) picks one from the configuration. One
 * contract suite (test/ledgerContract.ts) runs against both. docs/ledger-engines.md says how to add a third.
 */
export interface Ledger {
  /** Where the ledger is, for messages: a file path, or a URL without its password. */
  readonly location: string;
  /** The name of this replica (`node:` in the configuration), kept on every row it stores. */
  readonly node: string;
  /** How the pipeline's threads must encode a batch's rows for this engine (rows.ts). */
  readonly rowFormat: RowFormat;
  /**
   * The directory where the pipeline's threads write a batch's encoded rows until its commit (rows.ts
   * EncodedRows, spool.ts): the ledger's own, emptied when it opens and removed when it closes.
   */
  readonly rowSpool: string;
  /** Queries waiting for a connection: a sign of API load, for /metrics. */
  readonly queuedQueries: number;

  /**
   * Stores a batch in one transaction: its new rows (a request already stored, by idempotency key and start
   * time, is left out, whichever replica stored it), its rejects, the read positions of the files it came
   * from and its counter deltas. Either all of it is stored or none. Committing the same `batch.id` again (a
   * retry after a commit whose answer was lost) stores nothing more. A push's batch (`batch.push`) is
   * committed with its receipt, once for the whole ledger: see LedgerBatch.push.
   */
  commitBatch(batch: LedgerBatch): Promise<BatchResult>;

  /**
   * The receipt of push `id`, committed by any node of this ledger, or undefined when none was (or it was
   * forgotten: LedgerBatch.push.forgetBeforeMs).
   */
  pushReceipt(id: string): Promise<PushReceipt | undefined>;

  /** Where this node last committed reading each file of `source` (of every source when not given). */
  readPositions(source?: string): Promise<ReadPosition[]>;
  /** This node's self-counters (lines read, lines rejected), as committed with its batches. */
  counters(): Promise<LedgerCounter[]>;
  /** When this node last committed a read position, epoch ms (0: never). */
  lastCheckpointMs(): Promise<number>;
  /** The lines this node quarantined in the batches after `batch`, in batch order. */
  rejectsAfter(batch: number): Promise<{ batch: number; reject: RejectedLine }[]>;
  /** The number of this node's last batch that quarantined a line; 0 when none did. */
  lastRejectBatch(): Promise<number>;
  /**
   * What this node's rows add to the metrics (all of them: seeding at start, so counters continue where they
   * were). With one writer (DuckDB) that is the whole ledger.
   */
  metricTotals(): Promise<MetricTotals>;

  /** Totals per group (sorted, limited) and the overall total of the selection. */
  breakdown(q: BreakdownQuery): Promise<{ rows: BreakdownRow[]; total: UsageTotals }>;
  /** Totals per step, buckets aligned to multiples of the step since the Unix epoch (UTC), per group. */
  timeSeries(q: RowSelection & { groupBy: readonly Dimension[]; stepSeconds: number }): Promise<Series[]>;
  /** The values of one dimension in a selection, sorted. */
  dimensionValues(dimension: Dimension, q: RowSelection): Promise<string[]>;
  /** The records a scope may see between two times, and the span of their start times. */
  span(q: { fromMs: number; toMs: number; scope: Scope | undefined }): Promise<LedgerSpan>;
  /** Provider cost of each window, in one pass per distinct time range. */
  spend(windows: readonly SpendWindow[]): Promise<bigint[]>;

  /**
   * Prices this node's unpriced rows with `pricer` (at every start, and when a price book was extended or
   * reloaded). Each row that gets a price is updated with it (never a row that has one) and reported to
   * `onPriced`, so the cost counters rise accordingly. When the book prices none of the models the unpriced rows
   * name (the usual case at a start with the same book), no row is read. Returns how many rows were priced.
   */
  repriceUnpriced(
    pricer: RowPricer,
    priceVersion: string,
    onPriced: (labels: string[], costPusd: bigint) => void
  ): Promise<number>;

  /**
   * Prices every request that started in [fromMs, toMs) again with `price` (a corrected price book), on every
   * node's rows: a row whose price changes is updated (cost, fee, charge, priced model, `priceVersion`) with its
   * rollup; a row the book cannot price keeps what it has. `onRepriced` hears of each change as the cost it adds
   * (negative when it fell), for the cost counters. The run is recorded (`repriceRuns`), chunk by chunk in the
   * transactions that change the rows, so the record always says what was changed. Returns the run.
   */
  repriceRange(
    range: { fromMs: number; toMs: number },
    price: (row: UnpricedRow) => Price | undefined,
    priceVersion: string,
    onRepriced: (labels: string[], costDeltaPusd: bigint) => void
  ): Promise<RepriceRun>;

  /** The recorded re-pricing runs, newest first. */
  repriceRuns(): Promise<RepriceRun[]>;

  /**
   * The stored rows in a stable order, `limit` at a time: pass the `next` of one page to get the following
   * one (undefined: the first page; answered undefined: the last). To copy a ledger into another.
   */
  readUsage(after: string | undefined, limit: number): Promise<{ rows: StoredUsage[]; next: string | undefined }>;

  /**
   * Retention: removes every request that started before `cutoffMs` (the first instant of a UTC month), with
   * its rollup; PostgreSQL drops whole monthly partitions. Returns the months removed, as "YYYY-MM".
   */
  dropMonthsBefore(cutoffMs: number): Promise<string[]>;

  /** Resolves when the ledger answers; LedgerUnavailableError when its server cannot be reached. */
  ping(): Promise<void>;

  /**
   * Hands back the memory this process keeps only to read faster (DuckDB's cached table blocks, ~30-50 MB after
   * the scans of a start on a 1M-record ledger); the next queries read from the file again. For a process that
   * goes idle after a burst of reads. An engine whose memory is a server's does nothing.
   */
  releaseCaches(): Promise<void>;

  close(): Promise<void>;
}

/** One batch as the pipeline hands it over. */
export interface LedgerBatch {
  /** Unique per batch (and kept across its retries): what makes a retried commit store nothing twice. */
  id: string;
  rows: EncodedRows;
  rejects: readonly RejectedLine[];
  positions: readonly ReadPosition[];
  counters: readonly CounterDelta[];
  /**
   * Set when the batch is one push (its `id` the push's): its receipt is stored in the same transaction, keyed
   * by the id, the database enforcing that key, so the push is committed once whichever replicas commit it,
   * however often and at once. A push already committed stores nothing, counts nothing and is answered with
   * the stored receipt (`replayed`). No last batch id is kept for a push: its receipt is what recognises it.
   */
  push?: PushToCommit;
}

/** A push's answer, kept in the ledger to answer its retries (from any replica, after any restart) the same. */
export interface PushReceipt {
  /** The push's id, also its batch's id. */
  id: string;
  /** SHA-256 of its body: the same id with another body is another push, refused. */
  bodySha256: string;
  /** The node that committed it. */
  node: string;
  /** When it was committed, epoch ms (that node's clock): what retention goes by. */
  committedMs: number;
  received: number;
  /** Records new to the ledger, and records of requests it held already. */
  stored: number;
  repeats: number;
  skipped: number;
  refused: number;
  refusedByReason: Record<string, number>;
  /** The refused records its answer lists (the first ones; all are counted in `refused` and quarantined). */
  refusals: PushRefusal[];
}

/** A refused record of a push, as its answer lists it. */
export interface PushRefusal {
  line: number;
  offset: number;
  reason: string;
  field: string | undefined;
  message: string;
}

/** A push's receipt before its commit (which fills in stored and repeats), and its retention. */
export interface PushToCommit {
  receipt: Omit<PushReceipt, 'id' | 'node' | 'stored' | 'repeats'>;
  /** When set, the receipts of every node committed before it are deleted in the same transaction. */
  forgetBeforeMs?: number;
}

export interface BatchResult {
  /** Rows that were new to the ledger (repeats of a stored request are left out). */
  inserted: number;
  /**
   * What the rows that landed add to the metrics, summed by the engine inside the transaction (so a re-pricing
   * cannot touch them first, and repeats never reach a counter).
   */
  added: MetricTotals;
  /** The rejects that were new to the ledger (a line re-read after a crash is not quarantined twice). */
  freshRejects: RejectedLine[];
  /** The ledger's number for the batch: increasing for each node. */
  batch: number;
  /**
   * Set when `id` was committed before and this is the answer read back: what that commit stored is already
   * in the ledger (and, if the process that committed it got its answer, in its metrics and reject file).
   */
  replayed?: true;
  /**
   * A push's receipt (LedgerBatch.push): the one stored by this commit, or, `replayed`, the one stored before.
   * A replay of another node's push answers `inserted` 0, `added` nothing and no `freshRejects`: what it
   * stored is that node's to count.
   */
  push?: PushReceipt;
}

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

/** A self-counter (`lines_read` per source, `lines_rejected` per reason) and what a batch adds to it. */
export interface CounterDelta {
  name: string;
  label: string;
  delta: number;
}

export interface LedgerCounter {
  name: string;
  label: string;
  value: number;
}

export interface LedgerSpan {
  records: number;
  firstMs: number | undefined;
  lastMs: number | undefined;
}

/** The provider cost in [fromMs, toMs) of every row, or of the rows whose `dimension` is `value`. */
export interface SpendWindow {
  fromMs: number;
  toMs: number;
  subject?: { dimension: Dimension; value: string };
}

/** One `repriceRange` run: when, by which node, what range, with which book, and its totals per model. */
export interface RepriceRun {
  atMs: number;
  node: string;
  fromMs: number;
  toMs: number;
  priceVersion: string;
  models: RepricedModel[];
}

/** A model's requests in a re-priced range: how many, how many changed, their totals before and after. */
export interface RepricedModel {
  model: string;
  requests: number;
  repriced: number;
  oldCostPusd: bigint;
  newCostPusd: bigint;
  oldChargePusd: bigint;
  newChargePusd: bigint;
}

/** What re-pricing a stored row needs to know of it: every input of the pricer, as the row's columns hold them. */
export type UnpricedRow = PricingInputs;

/** What re-pricing the unpriced rows asks of a price book (pricing/pricer.ts's Pricer). */
export interface RowPricer {
  /** The row's price, or undefined when the book has none for it: the row keeps what it has. */
  price(row: UnpricedRow): Price | undefined;
  /**
   * The model a row naming these is billed as, or null when the book has no price for it: then `price` answers
   * undefined for every such row that reported usage and was not served from the gateway's cache.
   */
  billedModel(row: Pick<UnpricedRow, 'model' | 'baseModel' | 'provider'>): string | null;
}

/** Thrown when the ledger cannot be opened or written; the message says what to do. */
export class LedgerError extends Error {}

/** Another process (a running `tokenledger serve`?) holds the ledger file's lock. */
export class LedgerBusyError extends LedgerError {}

/** The file is not a DuckDB database, or DuckDB found damaged blocks in it. */
export class LedgerCorruptError extends LedgerError {}

/** The ledger was written by a newer tokenledger, or is not a ledger. */
export class LedgerVersionError extends LedgerError {}

/**
 * The ledger's server cannot be reached (down, restarting, a network fault): worth trying again, unlike a
 * wrong password or a missing database, which stay wrong.
 */
export class LedgerUnavailableError extends LedgerError {}
