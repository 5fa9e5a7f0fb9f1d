import { createHash } from 'node:crypto';
import type { Ledger, ReadPosition, RejectedLine } from '../ledger/ledger';
import { counterKey } from '../ledger/ledger';
import { UsageBatch } from '../ledger/batchFile';
import type { MetricTotals } from '../ledger/metricTotals';
import type { ExporterMetrics } from '../metrics/exporterMetrics';
import type { LineParser } from '../parse/lineParser';
import type { IdentityMap } from '../pricing/identityMap';
import type { Pricer } from '../pricing/pricer';
import type { SourceRead } from '../sources/types';
import { isRejection, ParseRejection, PricedRecord } from '../types';
import { redactedExcerpt } from './redact';

/** A configured source as the pipeline sees it. */
export interface SourceContext {
  name: string;
  parser: LineParser;
  /** Prefix of the idempotency key; by default the detected format, so two sources reading the same logs never double count. */
  keyNamespace: string | undefined;
}

/** Totals of one run, for `tokenledger ingest`'s summary and the logs. */
export interface IngestStats {
  linesRead: number;
  recordsStored: number;
  duplicates: number;
  rejected: Map<string, number>;
  unpriced: number;
}

interface Batch {
  /** The encoded rows, one per record parsed, repeats included; records themselves are not kept (see UsageBatch). */
  usage: UsageBatch;
  rejects: RejectedLine[];
  positions: Map<string, ReadPosition>;
  counters: Map<string, number>;
  /** Newest record start per configured source, for the lag metric. */
  newest: Map<string, number>;
  lines: number;
}

const newBatch = (): Batch => ({ usage: new UsageBatch(), rejects: [], positions: new Map(), counters: new Map(), newest: new Map(), lines: 0 });

export interface PipelineOptions {
  ledger: Ledger;
  pricer: () => Pricer;
  identities: () => IdentityMap;
  metrics: ExporterMetrics | undefined;
  /** Lines per ledger transaction. */
  batchLines: number;
  /** Called after each commit with the rejects that were new (the reject file is written from here). */
  onRejects: (rejects: RejectedLine[]) => void;
}

/**
 * Parse -> identity -> price -> batch -> ledger -> metrics. Texts are processed synchronously into the
 * current batch (as encoded rows); a full batch is committed while the next one fills (at most one commit in
 * flight), and metrics are updated only from what a commit reports as new, so duplicates never reach a
 * counter. Nothing is counted per line on this thread: the ledger sums each batch's new rows.
 */
export class Pipeline {
  private batch = newBatch();
  private inflight: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  readonly stats: IngestStats = { linesRead: 0, recordsStored: 0, duplicates: 0, rejected: new Map(), unpriced: 0 };
  /** Start time of the newest record committed per source, for the lag metric. */
  readonly newestRecordMs = new Map<string, number>();

  constructor(private readonly o: PipelineOptions) {}

  handler(source: SourceContext): (read: SourceRead) => Promise<void> {
    return async (read) => {
      this.take(source, read);
      if (this.batch.lines >= this.o.batchLines) await this.commit();
    };
  }

  private take(source: SourceContext, read: SourceRead): void {
    const b = this.batch;
    const pricer = this.o.pricer();
    const identities = this.o.identities();
    for (const t of read.texts) {
      b.lines++;
      const parsed = t.tooLong ? ({ reason: 'line_too_long', message: `line longer than the configured max_line_bytes` } as ParseRejection) : source.parser.parse(t.text);
      if (isRejection(parsed)) {
        b.rejects.push({
          source: source.name,
          path: read.path,
          line: t.line,
          byteOffset: t.startOffset,
          byteLength: t.endOffset - t.startOffset,
          reason: parsed.reason,
          field: parsed.field,
          message: parsed.message,
          lineSha256: createHash('sha256').update(t.text).digest('hex'),
          excerpt: t.tooLong ? undefined : redactedExcerpt(t.text),
        });
        continue;
      }
      const r = parsed.record;
      if (r.startMs > (b.newest.get(source.name) ?? -Infinity)) b.newest.set(source.name, r.startMs);
      identities.apply(r);
      const price = pricer.price(r.model, r.tier, r.startMs, r.tokens);
      // Every field spelled out rather than `...r`: a spread copy costs several times a literal of one shape.
      const priced: PricedRecord = {
        requestId: r.requestId,
        startMs: r.startMs,
        durationMs: r.durationMs,
        user: r.user,
        apiKeyId: r.apiKeyId,
        apiKeyAlias: r.apiKeyAlias,
        team: r.team,
        tier: r.tier,
        model: r.model,
        provider: r.provider,
        status: r.status,
        httpStatus: r.httpStatus,
        tokens: r.tokens,
        source: source.keyNamespace ?? parsed.format,
        costPusd: price?.costPusd,
        chargePusd: price?.chargePusd,
        priceVersion: price ? pricer.book.version : undefined,
      };
      b.usage.add(priced);
    }
    if (read.texts.length) bump(b.counters, counterKey('lines_read', source.name), read.texts.length);
    if (read.position) b.positions.set(read.position.fileKey, read.position);
  }

  /** Starts committing the current batch; waits only for the previous commit. */
  async commit(): Promise<void> {
    await this.inflight;
    if (this.failure) throw this.failure;
    const b = this.batch;
    if (b.lines === 0 && b.positions.size === 0) return;
    this.batch = newBatch();
    for (const r of b.rejects) bump(b.counters, counterKey('lines_rejected', r.reason), 1);
    this.inflight = this.o.ledger
      .commitBatch(b.usage, b.rejects, [...b.positions.values()], b.counters)
      .then(({ inserted, added, freshRejects }) => this.applyCommitted(b, inserted, added, freshRejects))
      .catch((e: Error) => {
        this.failure = e;
      });
  }

  /** Commits whatever is pending and waits for it. */
  async flush(): Promise<void> {
    await this.commit();
    await this.inflight;
    if (this.failure) throw this.failure;
  }

  /** `added`: what the batch's new rows add to the metrics (see BatchResult). */
  private applyCommitted(b: Batch, inserted: number, added: MetricTotals, freshRejects: RejectedLine[]): void {
    const s = this.stats;
    s.linesRead += b.lines;
    s.recordsStored += inserted;
    s.duplicates += b.usage.rows - inserted;
    for (const r of b.rejects) bump(s.rejected, r.reason, 1);
    for (const u of added.unpriced) s.unpriced += u.requests;
    const m = this.o.metrics;
    for (const [source, ms] of b.newest) if (ms > (this.newestRecordMs.get(source) ?? -Infinity)) this.newestRecordMs.set(source, ms);
    if (m) {
      m.usage.addTotals(added);
      for (const [key, n] of b.counters) {
        const [name, label] = key.split('\u0000') as [string, string];
        const target = name === 'lines_read' ? m.linesRead : m.linesRejected;
        bump(target, label, n);
      }
      m.lastCheckpointMs = Date.now();
    }
    if (freshRejects.length) this.o.onRejects(freshRejects);
  }
}

function bump(map: Map<string, number>, key: string, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n);
}
