import { collectDefaultMetrics, Registry } from 'prom-client';
import { picoToUsdNumber } from '../pricing/money';
import { BUCKETS } from '../pricing/priceBook';
import { FOLLOWER_EVENT_NAMES, FollowerEventName } from '../sources/followerEvents';
import { REJECT_REASONS } from '../types';
import { Sample, SnapshotMetric } from './snapshotMetric';
import { SeriesLimiter } from './seriesLimiter';
import { LATENCY_BUCKETS, USAGE_LABELS, UsageAggregate, UsageCell, UsageLabel } from './usageAggregate';

/** Which labels each usage family carries, and the cardinality cap. See docs/metrics.md. */
export interface MetricsConfig {
  labels: { requests: UsageLabel[]; tokens: UsageLabel[]; cost: UsageLabel[] };
  /** Series per family beyond which new label sets fold `foldLabels` into __other__. */
  maxSeries: number;
  foldLabels: UsageLabel[];
}

export const DEFAULT_METRICS_CONFIG: MetricsConfig = {
  labels: {
    requests: ['user', 'tier', 'api_key', 'team', 'model', 'status'],
    tokens: ['user', 'tier', 'api_key', 'team', 'model'],
    cost: ['user', 'tier', 'api_key', 'team', 'model'],
  },
  maxSeries: 10000,
  foldLabels: ['user', 'api_key'],
};

/** Bucket label values of tokenledger_tokens_total, in BUCKETS order. */
export const TOKEN_BUCKET_LABELS = ['input_uncached', 'cache_read', 'cache_write', 'output'];

export interface SourceLag {
  source: string;
  lagSeconds: number;
  backlogBytes: number;
}

/** One usage family: its exposed labels, its limiter, and how a cell contributes to a sample. */
class UsageFamily {
  private readonly positions: number[];
  private readonly limiter: SeriesLimiter;
  foldedSets = 0;

  constructor(
    readonly labels: readonly UsageLabel[],
    config: MetricsConfig,
  ) {
    this.positions = labels.map((l) => USAGE_LABELS.indexOf(l));
    const foldAt = config.foldLabels.map((l) => labels.indexOf(l)).filter((i) => i >= 0);
    this.limiter = new SeriesLimiter(config.maxSeries, foldAt);
  }

  /** Sums cells into this family's (possibly folded) label sets. */
  project<V>(cells: Iterable<UsageCell>, zero: () => V, add: (acc: V, cell: UsageCell) => V): { labels: readonly string[]; value: V }[] {
    const out = new Map<string, { labels: readonly string[]; value: V }>();
    const before = this.limiter.folded;
    for (const c of cells) {
      const values = this.positions.map((p) => c.labels[p]!);
      const key = values.join('\u0000');
      const exposed = this.limiter.admit(values, key);
      const exposedKey = exposed === values ? key : exposed.join('\u0000');
      let slot = out.get(exposedKey);
      if (!slot) {
        slot = { labels: exposed, value: zero() };
        out.set(exposedKey, slot);
      }
      slot.value = add(slot.value, c);
    }
    this.foldedSets = this.limiter.folded - before;
    return [...out.values()];
  }

  labelObject(values: readonly string[]): Record<string, string> {
    const o: Record<string, string> = {};
    this.labels.forEach((l, i) => (o[l] = values[i]!));
    return o;
  }
}

/**
 * Every metric /metrics serves. Usage totals come from `usage` (fed after each committed batch and seeded
 * from the ledger at start, so a restart is not a counter reset); self-metrics mirror the ledger's
 * committed counters. Nothing here is touched per log line.
 */
export class ExporterMetrics {
  readonly registry = new Registry();
  readonly usage = new UsageAggregate();
  readonly linesRead = new Map<string, number>();
  readonly linesRejected = new Map<string, number>();
  /** Follower decisions about files since this process started, per source. */
  private readonly fileEvents = new Map<string, Map<FollowerEventName, number>>();
  lastCheckpointMs = 0;
  private readonly requests: UsageFamily;
  private readonly tokens: UsageFamily;
  private readonly cost: UsageFamily;

  constructor(
    config: MetricsConfig,
    private readonly lag: () => SourceLag[],
  ) {
    this.requests = new UsageFamily(config.labels.requests, config);
    this.tokens = new UsageFamily(config.labels.tokens, config);
    this.cost = new UsageFamily(config.labels.cost, config);
    collectDefaultMetrics({ register: this.registry });
    // prom-client names these gauges *_total, which promtool's lint rejects; the rest of its process metrics stay.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    for (const m of this.definitions()) m.registerIn(this.registry);
  }

  private definitions(): SnapshotMetric[] {
    const cells = () => this.usage.cells.values();
    return [
      new SnapshotMetric('tokenledger_requests_total', 'LLM requests recorded in the ledger, failed ones included.', 'counter', () =>
        this.requests.project(cells(), () => 0, (acc, c) => acc + c.requests).map((s) => ({ labels: this.requests.labelObject(s.labels), value: s.value })),
      ),
      new SnapshotMetric('tokenledger_tokens_total', 'Tokens recorded in the ledger, by disjoint bucket (input_uncached, cache_read, cache_write, output; reasoning is inside output).', 'counter', () =>
        this.tokens
          .project(cells(), () => [0, 0, 0, 0], (acc, c) => acc.map((v, i) => v + c.tokens[i]!))
          .flatMap((s) => BUCKETS.map((_, i) => ({ labels: { ...this.tokens.labelObject(s.labels), bucket: TOKEN_BUCKET_LABELS[i]! }, value: s.value[i]! }))),
      ),
      new SnapshotMetric('tokenledger_cost_usd_total', 'Provider list cost of the recorded requests in USD (exact in the ledger; a float here). Unpriced requests add nothing until re-priced.', 'counter', () =>
        this.cost.project(cells(), () => 0n, (acc, c) => acc + c.costPusd).map((s) => ({ labels: this.cost.labelObject(s.labels), value: picoToUsdNumber(s.value) })),
      ),
      new SnapshotMetric('tokenledger_request_duration_seconds', 'Request duration as the gateway logged it, by model.', 'histogram', () => this.latencySamples()),
      new SnapshotMetric('tokenledger_unpriced_requests_total', 'Requests whose model had no price when they were recorded, by model.', 'counter', () =>
        [...this.usage.unpriced].map(([model, n]) => ({ labels: { model }, value: n })),
      ),
      new SnapshotMetric('tokenledger_lines_read_total', 'Log lines (or multi-line records) read, by source.', 'counter', () =>
        [...this.linesRead].map(([source, n]) => ({ labels: { source }, value: n })),
      ),
      new SnapshotMetric('tokenledger_lines_rejected_total', 'Log lines refused and quarantined, by reason.', 'counter', () =>
        REJECT_REASONS.map((reason) => ({ labels: { reason }, value: this.linesRejected.get(reason) ?? 0 })),
      ),
      new SnapshotMetric('tokenledger_source_file_events_total', 'What the file follower decided about a source\'s files since the exporter started: added, resumed, rotated, gone, truncated, replaced, copyRecovered, finished, lost (bytes not read), lineTooLong, cannotOpen.', 'counter', () =>
        [...this.fileEvents].flatMap(([source, counts]) => FOLLOWER_EVENT_NAMES.map((event) => ({ labels: { source, event }, value: counts.get(event) ?? 0 }))),
      ),
      new SnapshotMetric('tokenledger_ingest_lag_seconds', 'Age of the data at the read position while a source has unread data; 0 when caught up.', 'gauge', () =>
        this.lag().map((l) => ({ labels: { source: l.source }, value: l.lagSeconds })),
      ),
      new SnapshotMetric('tokenledger_ingest_backlog_bytes', 'Bytes written to a source\'s files and not read yet (a partial last line waiting for its newline is not counted).', 'gauge', () =>
        this.lag().map((l) => ({ labels: { source: l.source }, value: l.backlogBytes })),
      ),
      new SnapshotMetric('tokenledger_last_checkpoint_timestamp_seconds', 'Unix time of the last committed ledger batch.', 'gauge', () => [
        { labels: {}, value: this.lastCheckpointMs / 1000 },
      ]),
      new SnapshotMetric('tokenledger_folded_label_sets', 'Label sets folded into __other__ at the last scrape because a family reached its series cap.', 'gauge', () => [
        { labels: { family: 'requests' }, value: this.requests.foldedSets },
        { labels: { family: 'tokens' }, value: this.tokens.foldedSets },
        { labels: { family: 'cost' }, value: this.cost.foldedSets },
      ]),
    ];
  }

  countFileEvent(source: string, event: FollowerEventName): void {
    let counts = this.fileEvents.get(source);
    if (!counts) this.fileEvents.set(source, (counts = new Map()));
    counts.set(event, (counts.get(event) ?? 0) + 1);
  }

  private latencySamples(): Sample[] {
    const out: Sample[] = [];
    const name = 'tokenledger_request_duration_seconds';
    for (const [model, l] of this.usage.latency) {
      LATENCY_BUCKETS.forEach((le, i) => out.push({ metricName: `${name}_bucket`, labels: { le, model }, value: l.buckets[i]! }));
      out.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', model }, value: l.count });
      out.push({ metricName: `${name}_sum`, labels: { model }, value: l.sumSeconds });
      out.push({ metricName: `${name}_count`, labels: { model }, value: l.count });
    }
    return out;
  }
}
