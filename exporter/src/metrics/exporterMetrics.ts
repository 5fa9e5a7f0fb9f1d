import { promisify } from 'node:util';
import { constants as zlibConstants, gzip } from 'node:zlib';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { picoToUsdNumber } from '../pricing/money';
import { BUCKETS } from '../pricing/priceBook';
import { FOLLOWER_EVENT_NAMES, FollowerEventName } from '../sources/followerEvents';
import { REJECT_REASONS } from '../types';
import { SnapshotMetric } from './snapshotMetric';
import { SeriesLimiter } from './seriesLimiter';
import { familyHeader, joinLabels, labelText, sampleLine } from './textExposition';
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

const gzipAsync = promisify(gzip);

/** Bucket label values of tokenledger_tokens_total, in BUCKETS order. */
export const TOKEN_BUCKET_LABELS = ['input_uncached', 'cache_read', 'cache_write', 'output'];

export interface SourceLag {
  source: string;
  lagSeconds: number;
  backlogBytes: number;
}

/** How a cell shows in a family: the label set it is counted under (its own, or folded), as exposition text. */
interface Exposure {
  key: string;
  labels: string;
  folded: boolean;
}

/** One usage family: its exposed labels, its limiter, and how a cell contributes to a sample. */
class UsageFamily {
  private readonly positions: number[];
  private readonly limiter: SeriesLimiter;
  /** Admission never changes once made, so each cell's exposure is worked out once. */
  private readonly exposures = new WeakMap<UsageCell, Exposure>();
  foldedSets = 0;

  constructor(
    readonly labels: readonly UsageLabel[],
    config: MetricsConfig
  ) {
    this.positions = labels.map((l) => USAGE_LABELS.indexOf(l));
    const foldAt = config.foldLabels.map((l) => labels.indexOf(l)).filter((i) => i >= 0);
    this.limiter = new SeriesLimiter(config.maxSeries, foldAt);
  }

  private exposure(c: UsageCell): Exposure {
    let e = this.exposures.get(c);
    if (!e) {
      const values = this.positions.map((p) => c.labels[p]!);
      const key = values.join('\u0000');
      const foldedBefore = this.limiter.folded;
      const exposed = this.limiter.admit(values, key);
      e = {
        key: exposed === values ? key : exposed.join('\u0000'),
        labels: labelText(this.labels, exposed),
        folded: this.limiter.folded > foldedBefore,
      };
      this.exposures.set(c, e);
    }
    return e;
  }

  /** Sums cells into this family's (possibly folded) label sets, as exposition label text. */
  project<V>(
    cells: Iterable<UsageCell>,
    zero: () => V,
    add: (acc: V, cell: UsageCell) => V
  ): { labels: string; value: V }[] {
    const out = new Map<string, { labels: string; value: V }>();
    let folded = 0;
    for (const c of cells) {
      const e = this.exposure(c);
      if (e.folded) folded++;
      let slot = out.get(e.key);
      if (!slot) {
        slot = { labels: e.labels, value: zero() };
        out.set(e.key, slot);
      }
      slot.value = add(slot.value, c);
    }
    this.foldedSets = folded;
    return [...out.values()];
  }
}

/**
 * The usage families are rendered again, while batches keep committing, at most once per this many ms, and
 * at most once per RENDER_SHARE_DIVISOR times the last render's duration: with tens of thousands of series a
 * render holds the main thread (the follower's and the commits' thread) for a while, and however many
 * scrapers there are, renders take at most a tenth of it.
 */
const MIN_USAGE_RENDER_INTERVAL_MS = 250;
const RENDER_SHARE_DIVISOR = 10;

/** The usage families' exposition as of one version of the aggregate. */
interface RenderedUsage {
  version: number;
  /** Until when a newer version of the aggregate is not rendered again (see MIN_USAGE_RENDER_INTERVAL_MS). */
  nextRenderMs: number;
  text: Buffer;
  gzipped: Promise<Buffer> | undefined;
}

/** The small families' exposition, rendered at `atMs`. */
interface RenderedLive {
  atMs: number;
  text: Buffer;
  gzipped: Promise<Buffer> | undefined;
}

/** How long the small families' text is reused between commits: what they show of time (lag, process metrics) is this old at most. */
const LIVE_RENDER_INTERVAL_MS = 500;

/**
 * Every metric /metrics serves. Usage totals come from `usage` (fed after each committed batch and seeded
 * from the ledger at start, so a restart is not a counter reset); self-metrics mirror the ledger's
 * committed counters. Nothing here is touched per log line.
 *
 * The usage families are the bulk of a scrape and change only when a batch commits: their text is rendered
 * once per change (at most once a second, shared by concurrent scrapes) and reused. The rest (`registry`:
 * lag, counters of lines, process and budget gauges) is small and rendered per scrape.
 */
export class ExporterMetrics {
  readonly registry = new Registry();
  private usageText: RenderedUsage | undefined;
  private live: { atMs: number; checkpointMs: number; rendering: Promise<RenderedLive> } | undefined;
  readonly usage = new UsageAggregate();
  readonly linesRead = new Map<string, number>();
  readonly linesRejected = new Map<string, number>();
  readonly linesSkipped = new Map<string, number>();
  /** Follower decisions about files since this process started, per source. */
  private readonly fileEvents = new Map<string, Map<FollowerEventName, number>>();
  lastCheckpointMs = 0;
  private readonly requests: UsageFamily;
  private readonly tokens: UsageFamily;
  private readonly cost: UsageFamily;

  constructor(
    config: MetricsConfig,
    private readonly lag: () => SourceLag[]
  ) {
    this.requests = new UsageFamily(config.labels.requests, config);
    this.tokens = new UsageFamily(config.labels.tokens, config);
    this.cost = new UsageFamily(config.labels.cost, config);
    collectDefaultMetrics({ register: this.registry });
    // prom-client names these gauges *_total, which promtool's lint rejects; the rest of its process metrics stay.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
      this.registry.removeSingleMetric(name);
    for (const m of this.liveDefinitions()) m.registerIn(this.registry);
  }

  /**
   * What /metrics serves (content type: `registry.contentType`), in parts to be sent one after the other. The
   * usage families' part is kept as bytes, and gzipped once per render when the scraper accepts gzip (as
   * Prometheus does): a scrape then neither encodes, copies nor compresses it again. Gzipped parts are gzip
   * members, which concatenated are one gzip stream.
   */
  async exposition(gzipped = false): Promise<Buffer[]> {
    const usage = this.usageExposition();
    const live = await this.liveExposition();
    if (!gzipped) return [usage.text, live.text];
    usage.gzipped ??= gzipAsync(usage.text, { level: zlibConstants.Z_BEST_SPEED });
    live.gzipped ??= gzipAsync(live.text, { level: zlibConstants.Z_BEST_SPEED });
    return [await usage.gzipped, await live.gzipped];
  }

  /**
   * The small families, rendered again after a commit (their counters change with it) or once they are
   * LIVE_RENDER_INTERVAL_MS old, not per scrape: each render collects the process metrics, and fifty scrapers
   * each doing it kept the main thread busy.
   */
  private liveExposition(): Promise<RenderedLive> {
    if (
      !this.live ||
      this.live.checkpointMs !== this.lastCheckpointMs ||
      Date.now() - this.live.atMs >= LIVE_RENDER_INTERVAL_MS
    ) {
      const atMs = Date.now();
      const rendering = this.registry
        .metrics()
        .then((text): RenderedLive => ({ atMs, text: Buffer.from(text), gzipped: undefined }));
      this.live = { atMs, checkpointMs: this.lastCheckpointMs, rendering };
      rendering.catch(() => this.live?.rendering === rendering && (this.live = undefined));
    }
    return this.live.rendering;
  }

  private usageExposition(): RenderedUsage {
    const cached = this.usageText;
    if (cached && (cached.version === this.usage.version || Date.now() < cached.nextRenderMs)) return cached;
    const startMs = Date.now();
    const text = Buffer.from(this.renderUsage());
    const endMs = Date.now();
    this.usageText = {
      version: this.usage.version,
      nextRenderMs: endMs + Math.max(MIN_USAGE_RENDER_INTERVAL_MS, (endMs - startMs) * RENDER_SHARE_DIVISOR),
      text,
      gzipped: undefined,
    };
    return this.usageText;
  }

  /** The families computed from `usage`, and the folding their projection did, as exposition text. */
  private renderUsage(): string {
    const out: string[] = [];
    const cells = [...this.usage.cells.values()];
    const requests = 'tokenledger_requests_total';
    out.push(familyHeader(requests, 'LLM requests recorded in the ledger, failed ones included.', 'counter'));
    for (const s of this.requests.project(
      cells,
      () => 0,
      (acc, c) => acc + c.requests
    ))
      out.push(sampleLine(requests, s.labels, s.value));
    const tokens = 'tokenledger_tokens_total';
    out.push(
      familyHeader(
        tokens,
        'Tokens recorded in the ledger, by disjoint bucket (input_uncached, cache_read, cache_write, output; reasoning is inside output).',
        'counter'
      )
    );
    const bucketLabels = TOKEN_BUCKET_LABELS.map((b) => labelText(['bucket'], [b]));
    for (const s of this.tokens.project(
      cells,
      () => [0, 0, 0, 0],
      (acc, c) => acc.map((v, i) => v + c.tokens[i]!)
    )) {
      BUCKETS.forEach((_, i) => out.push(sampleLine(tokens, joinLabels(s.labels, bucketLabels[i]!), s.value[i]!)));
    }
    const cost = 'tokenledger_cost_usd_total';
    out.push(
      familyHeader(
        cost,
        'Provider list cost of the recorded requests in USD (exact in the ledger; a float here). Unpriced requests add nothing until re-priced.',
        'counter'
      )
    );
    for (const s of this.cost.project(
      cells,
      () => 0n,
      (acc, c) => acc + c.costPusd
    ))
      out.push(sampleLine(cost, s.labels, picoToUsdNumber(s.value)));
    const duration = 'tokenledger_request_duration_seconds';
    out.push(familyHeader(duration, 'Request duration as the gateway logged it, by model.', 'histogram'));
    for (const [model, l] of this.usage.latency) {
      const m = labelText(['model'], [model]);
      LATENCY_BUCKETS.forEach((le, i) =>
        out.push(sampleLine(`${duration}_bucket`, joinLabels(labelText(['le'], [String(le)]), m), l.buckets[i]!))
      );
      out.push(sampleLine(`${duration}_bucket`, joinLabels('le="+Inf"', m), l.count));
      out.push(sampleLine(`${duration}_sum`, m, l.sumSeconds));
      out.push(sampleLine(`${duration}_count`, m, l.count));
    }
    const unpriced = 'tokenledger_unpriced_requests_total';
    out.push(familyHeader(unpriced, 'Requests whose model had no price when they were recorded, by model.', 'counter'));
    for (const [model, n] of this.usage.unpriced) out.push(sampleLine(unpriced, labelText(['model'], [model]), n));
    const folded = 'tokenledger_folded_label_sets';
    out.push(
      familyHeader(
        folded,
        'Label sets folded into __other__ in this exposition because a family reached its series cap.',
        'gauge'
      )
    );
    for (const [family, f] of [
      ['requests', this.requests],
      ['tokens', this.tokens],
      ['cost', this.cost],
    ] as const)
      out.push(sampleLine(folded, labelText(['family'], [family]), f.foldedSets));
    return out.join('');
  }

  /** The small families, rendered on every scrape. */
  private liveDefinitions(): SnapshotMetric[] {
    return [
      new SnapshotMetric(
        'tokenledger_lines_read_total',
        'Log lines (or multi-line records) read, by source.',
        'counter',
        () => [...this.linesRead].map(([source, n]) => ({ labels: { source }, value: n }))
      ),
      new SnapshotMetric(
        'tokenledger_lines_rejected_total',
        'Log lines refused and quarantined, by reason.',
        'counter',
        () => REJECT_REASONS.map((reason) => ({ labels: { reason }, value: this.linesRejected.get(reason) ?? 0 }))
      ),
      new SnapshotMetric(
        'tokenledger_lines_skipped_total',
        'Log lines that are not usage records, of sources with other_lines: ignore (not refused, not quarantined), by source.',
        'counter',
        () => [...this.linesSkipped].map(([source, n]) => ({ labels: { source }, value: n }))
      ),
      new SnapshotMetric(
        'tokenledger_source_file_events_total',
        "What the file follower decided about a source's files since the exporter started: added, resumed, rotated, gone, truncated, replaced, copyRecovered, finished, lost (bytes not read), lineTooLong, incompleteLastLine (a file that stopped growing ends in a line cut short), tooManyFiles (more files match than max_files), cannotOpen.",
        'counter',
        () =>
          [...this.fileEvents].flatMap(([source, counts]) =>
            FOLLOWER_EVENT_NAMES.map((event) => ({ labels: { source, event }, value: counts.get(event) ?? 0 }))
          )
      ),
      new SnapshotMetric(
        'tokenledger_ingest_lag_seconds',
        'How far a source is behind, seconds: the larger of the age of the newest committed record while its files hold unread data, and the time its oldest lines read but not committed yet have waited; 0 when caught up.',
        'gauge',
        () => this.lag().map((l) => ({ labels: { source: l.source }, value: l.lagSeconds }))
      ),
      new SnapshotMetric(
        'tokenledger_ingest_backlog_bytes',
        "Bytes written to a source's files and not read yet (a partial last line waiting for its newline is not counted).",
        'gauge',
        () => this.lag().map((l) => ({ labels: { source: l.source }, value: l.backlogBytes }))
      ),
      new SnapshotMetric(
        'tokenledger_last_checkpoint_timestamp_seconds',
        'Unix time of the last committed ledger batch.',
        'gauge',
        () => [{ labels: {}, value: this.lastCheckpointMs / 1000 }]
      ),
    ];
  }

  countFileEvent(source: string, event: FollowerEventName): void {
    let counts = this.fileEvents.get(source);
    if (!counts) this.fileEvents.set(source, (counts = new Map<FollowerEventName, number>()));
    counts.set(event, (counts.get(event) ?? 0) + 1);
  }
}
