import { randomUUID } from 'node:crypto';
import type {
  BatchResult,
  CounterDelta,
  Ledger,
  PushReceipt,
  PushToCommit,
  ReadPosition,
  RejectedLine,
} from '../ledger/ledger';
import { removeSpool } from '../ledger/rows';
import type { ExporterMetrics } from '../metrics/exporterMetrics';
import type { IdentityMap } from '../pricing/identityMap';
import type { Pricer } from '../pricing/pricer';
import type { SourceRead } from '../sources/types';
import type { Logger } from '../log';
import type { FramedText } from '../parse/framer';
import { BatchPart, joinParts, parsingSource, ParsingSource, PartResult, PartSettings } from './batchPart';
import { ParseThread } from './parseThread';
import type { SourceContext } from './sourceContext';

/** Totals of one run, for `tokenledger ingest`'s summary and the logs. */
export interface IngestStats {
  linesRead: number;
  recordsStored: number;
  duplicates: number;
  rejected: Map<string, number>;
  /** Lines that are not usage records, of sources with `other_lines: ignore`. */
  skipped: number;
  unpriced: number;
}

interface Batch {
  /** The batch's identity for the ledger, kept across retries of its commit. */
  id: string;
  /** The main thread's part of the batch; the parse worker keeps the rest until the batch is cut. */
  local: BatchPart;
  /** Whether any of the batch's reads went to the parse worker. */
  threaded: boolean;
  positions: Map<string, ReadPosition>;
  /** Lines read per source, and rejected per reason: the ledger's self-counters, committed with the batch. */
  linesRead: Map<string, number>;
  linesRejected: Map<string, number>;
  /** Lines skipped per source (`other_lines: ignore`): a self-counter too. */
  linesSkipped: Map<string, number>;
  lines: number;
  /** When each source's first lines in the batch were read: how long they have waited for their commit. */
  firstReadMs: Map<string, number>;
}

const newBatch = (settings: PartSettings, id: string = randomUUID()): Batch => ({
  id,
  local: new BatchPart(settings),
  threaded: false,
  positions: new Map(),
  linesRead: new Map(),
  linesRejected: new Map(),
  linesSkipped: new Map(),
  lines: 0,
  firstReadMs: new Map(),
});

export interface PipelineOptions {
  ledger: Ledger;
  pricer: () => Pricer;
  identities: () => IdentityMap;
  metrics: ExporterMetrics | undefined;
  /** Lines per ledger transaction. */
  batchLines: number;
  /** Called after each commit with the rejects that were new (the reject file is written from here). */
  /** A committed batch's new rejects, with the ledger's number of that batch. */
  onRejects: (rejects: RejectedLine[], batch: number) => void;
  /**
   * Called after each commit with the request ids of its records (new ones and repeats: either way the ledger
   * holds them now): enforcement settles their reservations.
   */
  onCommitted?: (requestIds: readonly string[]) => void;
  /** Where each commit is logged (at debug level: what it stored, and how long its oldest lines waited). */
  log?: Logger;
  /**
   * When set, a batch whose commit fails (a full disk, say) is committed again, with backoff, until it is
   * stored: reads wait for it meanwhile (the next batch fills at most once), and what was read stays in
   * memory, so nothing is lost or read twice. Called once when a batch's commits start failing, and once
   * when it is stored after all. Without it, a failed commit fails the pipeline (`tokenledger ingest`).
   */
  retry?: { onFailing: (e: Error) => void; onRecovered: (failedForMs: number) => void };
}

/** One push (an HTTP body's texts, of one source) to commit as a batch of its own. */
export interface Push {
  /** Its batch id, the same for every retry of the push (derived from its idempotency key). */
  id: string;
  /** What its rejects name as their file: unique per push, so that a retry's rejects are not quarantined twice. */
  path: string;
  texts: FramedText[];
  /** SHA-256 of its body, kept in its receipt: the same id with another body is another push. */
  bodySha256: string;
  /** Records its route left out before parsing: received and skipped, never parsed. */
  leftOut: number;
  /** When it is committed, epoch ms. */
  atMs: number;
  /** When set, the receipts of pushes committed before it are forgotten in its transaction (retention). */
  forgetBeforeMs?: number;
}

/** A push's receipt, and whether it had been committed before (see Pipeline.commitPush). */
export interface PushCommit {
  receipt: PushReceipt;
  /** Committed before, by this replica or another: nothing was stored now. */
  replayed: boolean;
  /** Whether what it stored was counted (metrics, reject file) now: its commit, or the replay of a lost one. */
  counted: boolean;
}

/** Refused records a push's receipt lists (its answer's `refusals`): all are counted, and all quarantined. */
const LISTED_REFUSALS = 20;

/** Pushes whose commit failed here, kept to tell whether a later replay of one was ever counted here. */
const MAX_UNCERTAIN_PUSHES = 10_000;

/** Backoff between attempts to commit a batch: doubling from the first to the longest. */
const FIRST_RETRY_MS = 250;
const LONGEST_RETRY_MS = 10_000;

/**
 * Parse -> identity -> price -> batch -> ledger -> metrics. Each read is parsed into the current batch (as
 * encoded rows) by the parse worker, or by this thread when the worker is busy (parseThread.ts); a full batch
 * is cut, its two parts joined and committed while the next one fills (at most one commit in flight), and
 * metrics are updated only from what a commit reports as new, so duplicates never reach a counter. Nothing
 * is counted per line: the ledger sums each batch's new rows.
 */
export class Pipeline {
  /** How both threads make their parts of a batch. */
  private readonly parts: PartSettings;
  private batch: Batch;
  private readonly thread: ParseThread;
  private inflight: Promise<void> = Promise.resolve();
  /** The ledger commit under way, file batch or push: commits go one at a time, in the order they were asked. */
  private storing: Promise<unknown> = Promise.resolve();
  /** Each push source's parser, built once. */
  private readonly pushSources = new WeakMap<SourceContext, ParsingSource>();
  /** Pushes whose commit failed in this process: the ledger may have stored one after all (see commitPush). */
  private readonly uncertainPushes = new Set<string>();
  /** The batch being committed, until its commit succeeds. */
  private committing: Batch | undefined;
  /** Set by stopRetrying: a failing commit gives up at its next attempt. */
  private retryStopped = false;
  /** Ends the wait before the next attempt early (stopRetrying). */
  private wakeRetry: (() => void) | undefined;
  private failure: Error | undefined;
  readonly stats: IngestStats = {
    linesRead: 0,
    recordsStored: 0,
    duplicates: 0,
    rejected: new Map(),
    skipped: 0,
    unpriced: 0,
  };
  /** Start time of the newest record committed per source, for the lag metric. */
  readonly newestRecordMs = new Map<string, number>();

  constructor(private readonly o: PipelineOptions) {
    this.parts = { format: o.ledger.rowFormat, spool: o.ledger.rowSpool, requestIds: o.onCommitted !== undefined };
    this.batch = newBatch(this.parts);
    this.thread = new ParseThread(this.parts);
  }

  handler(source: SourceContext): (read: SourceRead) => Promise<void> {
    const local = parsingSource(source);
    return async (read) => {
      const b = this.batch;
      const n = read.texts.length;
      if (n) {
        const pricing = { pricer: this.o.pricer(), identities: this.o.identities() };
        if (this.thread.ready) {
          this.thread.parse(source, read.path, read.texts, b.lines, pricing);
          b.threaded = true;
        } else b.local.add(local, read.path, read.texts, b.lines, pricing);
        b.lines += n;
        bump(b.linesRead, source.name, n);
        if (!b.firstReadMs.has(source.name)) b.firstReadMs.set(source.name, Date.now());
      }
      if (read.position) b.positions.set(read.position.fileKey, read.position);
      if (b.lines >= this.o.batchLines) await this.commit();
    };
  }

  /** Starts committing the current batch; waits only for the previous commit. */
  async commit(): Promise<void> {
    await this.inflight;
    if (this.failure) throw this.failure;
    const b = this.batch;
    if (b.lines === 0 && b.positions.size === 0) return;
    this.batch = newBatch(this.parts);
    this.committing = b;
    const threadPart = b.threaded ? this.thread.cut() : Promise.resolve(this.thread.noPart);
    this.inflight = threadPart
      .then(async (part) => {
        const all = joinParts(b.local.done(), part);
        countOutcomes(b, all);
        await this.store(b, all);
      })
      .catch((e: Error) => {
        this.failure = e;
      });
  }

  /** Commits a joined batch, again and again while it fails when `retry` is set (see PipelineOptions). */
  private async store(b: Batch, all: PartResult): Promise<void> {
    let failingSinceMs: number | undefined;
    let delayMs = FIRST_RETRY_MS;
    for (;;) {
      const startMs = Date.now();
      try {
        const result = await this.commitOnce(b, all);
        this.committing = undefined;
        removeSpool(all.rows);
        if (failingSinceMs !== undefined) this.o.retry!.onRecovered(Date.now() - failingSinceMs);
        this.applyCommitted(b, all, result);
        if (b.firstReadMs.size) {
          const waitedMs = Date.now() - Math.min(...b.firstReadMs.values());
          this.o.log?.debug(
            `committed batch ${result.batch} in ${Date.now() - startMs} ms: ${b.lines} line(s) read, ${result.inserted} new record(s), ${all.rejects.length} rejected; its first lines waited ${waitedMs} ms`
          );
        }
        return;
      } catch (e) {
        if (!this.o.retry || this.retryStopped) throw e;
        if (failingSinceMs === undefined) {
          failingSinceMs = Date.now();
          this.o.retry.onFailing(e as Error);
        }
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            this.wakeRetry = undefined;
            resolve();
          };
          const timer = setTimeout(wake, delayMs);
          this.wakeRetry = wake;
        });
        delayMs = Math.min(delayMs * 2, LONGEST_RETRY_MS);
      }
    }
  }

  /** One attempt to commit a batch, after the commit under way (a file batch's or a push's). */
  private commitOnce(b: Batch, all: PartResult, push?: PushToCommit): Promise<BatchResult> {
    const attempt = this.storing.then(() =>
      this.o.ledger.commitBatch({
        id: b.id,
        rows: all.rows,
        rejects: all.rejects,
        positions: [...b.positions.values()],
        counters: counterDeltas(b),
        ...(push ? { push } : {}),
      })
    );
    this.storing = attempt.catch(() => undefined);
    return attempt;
  }

  /**
   * Parses, prices and commits one push as a batch of its own, between the file batches' commits (which go on
   * meanwhile), and resolves once it is stored: its records, rejects, counters and receipt in one transaction,
   * never half. A failed commit is not retried here: the error (a LedgerError) goes to the pusher, who tries
   * again.
   *
   * A push the ledger holds a receipt of (committed by any replica, before a restart or not) is answered with
   * it, `replayed`, without parsing it again or counting it. What a push stored is counted (metrics, reject
   * file) once: by the replica whose commit stored it, when that commit answers; by a later start of that
   * replica, from the ledger (the metrics' seeding, the reject file's recovery), when it stopped first. One case
   * is left, which the ledger cannot tell: this process committed the push, and the answer was lost after the
   * ledger committed it (a connection cut after COMMIT). Only this process knows its commit failed, so it keeps
   * the ids of the pushes whose commit failed here (`uncertainPushes`, bounded): a replay of such a push, of this
   * node and this body, is counted here, once, from what the ledger read back of its batch.
   */
  async commitPush(source: SourceContext, push: Push): Promise<PushCommit> {
    const known = await this.o.ledger.pushReceipt(push.id);
    if (known && !this.uncountedHere(known, push)) return { receipt: known, replayed: true, counted: false };
    const b = newBatch(this.parts, push.id);
    let parsing = this.pushSources.get(source);
    if (!parsing) this.pushSources.set(source, (parsing = parsingSource(source)));
    const part = new BatchPart(this.parts);
    part.add(parsing, push.path, push.texts, 0, { pricer: this.o.pricer(), identities: this.o.identities() });
    const all = part.done();
    b.lines = push.texts.length;
    if (b.lines) bump(b.linesRead, source.name, b.lines);
    countOutcomes(b, all);
    let result: BatchResult;
    try {
      result = await this.commitOnce(b, all, {
        receipt: pushReceiptOf(push, all),
        ...(push.forgetBeforeMs !== undefined ? { forgetBeforeMs: push.forgetBeforeMs } : {}),
      });
    } catch (e) {
      if (this.uncertainPushes.size >= MAX_UNCERTAIN_PUSHES)
        this.uncertainPushes.delete(this.uncertainPushes.values().next().value!);
      this.uncertainPushes.add(push.id);
      throw e;
    } finally {
      removeSpool(all.rows); // a push that failed is sent again, and encoded again
    }
    const receipt = result.push!;
    const counted = !result.replayed || this.uncountedHere(receipt, push);
    if (counted) this.applyCommitted(b, all, result);
    this.uncertainPushes.delete(push.id);
    return { receipt, replayed: result.replayed === true, counted };
  }

  /** Whether a push the ledger holds was stored by a commit of this process whose answer was lost (commitPush). */
  private uncountedHere(receipt: PushReceipt, push: Push): boolean {
    return (
      receipt.node === this.o.ledger.node && receipt.bodySha256 === push.bodySha256 && this.uncertainPushes.has(push.id)
    );
  }

  /** A commit being retried fails at its next attempt (on stop: what was not committed is read again next time). */
  stopRetrying(): void {
    this.retryStopped = true;
    this.wakeRetry?.();
  }

  /**
   * When the oldest lines of `source` that were read and are not committed yet were read (undefined when all
   * are committed): the lag while a commit waits or fails, which the file backlog alone does not show.
   */
  oldestUncommittedReadMs(source: string): number | undefined {
    const times = [this.committing, this.batch]
      .map((b) => b?.firstReadMs.get(source))
      .filter((t): t is number => t !== undefined);
    return times.length ? Math.min(...times) : undefined;
  }

  /** Commits whatever is pending and waits for it. */
  async flush(): Promise<void> {
    await this.commit();
    await this.inflight;
    if (this.failure) throw this.failure;
  }

  /** Stops the parse worker. Commit first (`flush`): what is not committed is read again on the next run. */
  async close(): Promise<void> {
    await this.inflight;
    await this.storing;
    await this.thread.close();
  }

  /** What a committed batch adds to the stats and metrics; its new rejects go to `onRejects`. */
  private applyCommitted(b: Batch, all: PartResult, { inserted, added, freshRejects, batch }: BatchResult): void {
    const s = this.stats;
    s.linesRead += b.lines;
    s.recordsStored += inserted;
    s.duplicates += all.rows.rows - inserted;
    for (const r of all.rejects) bump(s.rejected, r.reason, 1);
    for (const n of all.skipped.values()) s.skipped += n;
    for (const u of added.unpriced) s.unpriced += u.requests;
    const m = this.o.metrics;
    for (const [source, ms] of all.newest)
      if (ms > (this.newestRecordMs.get(source) ?? -Infinity)) this.newestRecordMs.set(source, ms);
    if (m) {
      m.usage.addTotals(added);
      for (const [source, n] of b.linesRead) bump(m.linesRead, source, n);
      for (const [reason, n] of b.linesRejected) bump(m.linesRejected, reason, n);
      for (const [source, n] of b.linesSkipped) bump(m.linesSkipped, source, n);
      m.lastCheckpointMs = Date.now();
    }
    if (freshRejects.length) this.o.onRejects(freshRejects, batch);
    if (all.requestIds.length) this.o.onCommitted?.(all.requestIds);
  }
}

/** A parsed push's receipt, as its commit stores it (the commit adds what was stored and what repeated). */
function pushReceiptOf(push: Push, all: PartResult): PushToCommit['receipt'] {
  let skipped = push.leftOut;
  for (const n of all.skipped.values()) skipped += n;
  const refusedByReason: Record<string, number> = {};
  for (const r of all.rejects) refusedByReason[r.reason] = (refusedByReason[r.reason] ?? 0) + 1;
  return {
    bodySha256: push.bodySha256,
    committedMs: push.atMs,
    received: push.texts.length + push.leftOut,
    skipped,
    refused: all.rejects.length,
    refusedByReason,
    refusals: all.rejects.slice(0, LISTED_REFUSALS).map((r) => ({
      line: r.line,
      offset: r.byteOffset,
      reason: r.reason,
      field: r.field,
      message: r.message,
    })),
  };
}

/** A batch's rejects per reason and skipped lines per source, for its self-counters. */
function countOutcomes(b: Batch, all: PartResult): void {
  for (const r of all.rejects) bump(b.linesRejected, r.reason, 1);
  for (const [source, n] of all.skipped) bump(b.linesSkipped, source, n);
}

function counterDeltas(b: Batch): CounterDelta[] {
  return [
    ...[...b.linesRead].map(([label, delta]) => ({ name: 'lines_read', label, delta })),
    ...[...b.linesRejected].map(([label, delta]) => ({ name: 'lines_rejected', label, delta })),
    ...[...b.linesSkipped].map(([label, delta]) => ({ name: 'lines_skipped', label, delta })),
  ];
}

function bump(map: Map<string, number>, key: string, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n);
}
