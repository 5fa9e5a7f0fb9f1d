import { promisify } from 'node:util';
import { constants as zlibConstants, gzip } from 'node:zlib';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { FOLLOWER_EVENT_NAMES, FollowerEventName } from '../sources/followerEvents';
import { REJECT_REASONS } from '../types';
import type { ExpositionPart } from './seriesText';
import { SnapshotMetric } from './snapshotMetric';
import { UsageAggregate, UsageLabel } from './usageAggregate';
import { UsageExposition } from './usageExposition';

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

/**
 * How a push request ended: `stored` (committed), `replayed` (a retry of a push already committed: answered as
 * it was, nothing stored again), or why it was refused.
 */
export const PUSH_OUTCOMES = [
  'stored',
  'replayed',
  'bad_request',
  'unauthorized',
  'forbidden',
  'too_large',
  'unsupported_encoding',
  'unavailable',
  'aborted',
  'error',
] as const;
export type PushOutcome = (typeof PUSH_OUTCOMES)[number];

/** What became of a pushed record. */
export const PUSH_RECORD_RESULTS = ['stored', 'repeat', 'refused', 'skipped'] as const;
export type PushRecordResult = (typeof PUSH_RECORD_RESULTS)[number];

export interface SourceLag {
  source: string;
  lagSeconds: number;
  backlogBytes: number;
}

/** The small families' exposition, rendered at `atMs`. */
interface RenderedLive extends ExpositionPart {
  atMs: number;
}

/** How long the small families' text is reused between commits: what they show of time (lag, process metrics) is this old at most. */
const LIVE_RENDER_INTERVAL_MS = 500;

/**
 * Every metric /metrics serves. Usage totals come from `usage` (fed after each committed batch and seeded
 * from the ledger at start, so a restart is not a counter reset); self-metrics mirror the ledger's
 * committed counters. Nothing here is touched per log line.
 *
 * The usage families are the bulk of a scrape and change only when a batch commits: UsageExposition keeps
 * their text and renders what changed off the hot path. The rest (`registry`: lag, counters of lines,
 * process and budget gauges) is small and rendered per commit or LIVE_RENDER_INTERVAL_MS.
 */
export class ExporterMetrics {
  readonly registry = new Registry();
  private live: { atMs: number; checkpointMs: number; rendering: Promise<RenderedLive> } | undefined;
  readonly usage = new UsageAggregate();
  readonly linesRead = new Map<string, number>();
  readonly linesRejected = new Map<string, number>();
  readonly linesSkipped = new Map<string, number>();
  /** Follower decisions about files since this process started, per source. */
  private readonly fileEvents = new Map<string, Map<FollowerEventName, number>>();
  /** Push requests per endpoint and outcome, and pushed records per endpoint and result, since start. */
  private readonly pushRequests = new Map<string, Map<PushOutcome, number>>();
  private readonly pushRecords = new Map<string, Map<PushRecordResult, number>>();
  lastCheckpointMs = 0;
  private readonly usageText: UsageExposition;

  constructor(
    config: MetricsConfig,
    private readonly lag: () => SourceLag[]
  ) {
    this.usageText = new UsageExposition(this.usage, config);
    collectDefaultMetrics({ register: this.registry });
    // prom-client names these gauges *_total, which promtool's lint rejects; the rest of its process metrics stay.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
      this.registry.removeSingleMetric(name);
    for (const m of this.liveDefinitions()) m.registerIn(this.registry);
  }

  /**
   * What /metrics serves (content type: `registry.contentType`), in parts to be sent one after the other. Parts
   * are kept as bytes, and gzipped once each when a scraper accepts gzip (as Prometheus does): a scrape then
   * neither encodes, copies nor compresses them again. Gzipped parts are gzip members, which concatenated are
   * one gzip stream.
   */
  async exposition(gzipped = false): Promise<Buffer[]> {
    const [usage, live] = await Promise.all([this.usageText.current(), this.liveExposition()]);
    const parts = [...usage.parts, live];
    if (!gzipped) return parts.map((p) => p.text);
    return Promise.all(parts.map((p) => (p.gzipped ??= gzipAsync(p.text, { level: zlibConstants.Z_BEST_SPEED }))));
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
      const rendering = this.registry.metrics().then((text): RenderedLive => ({ atMs, text: Buffer.from(text) }));
      this.live = { atMs, checkpointMs: this.lastCheckpointMs, rendering };
      rendering.catch(() => this.live?.rendering === rendering && (this.live = undefined));
    }
    return this.live.rendering;
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
        'tokenledger_push_requests_total',
        'Push requests since the exporter started, by endpoint (litellm, kong, envoy, generic, otlp_logs, otlp_traces) and outcome: stored, replayed (a retry of a committed push, nothing stored again), bad_request, unauthorized, forbidden, too_large, unsupported_encoding, unavailable (the ledger could not commit: 503), aborted (the sender left before its body was read), error.',
        'counter',
        () => perEndpoint(this.pushRequests, 'outcome', PUSH_OUTCOMES)
      ),
      new SnapshotMetric(
        'tokenledger_push_records_total',
        'Records received in committed pushes since the exporter started, by endpoint and result: stored, repeat (a request already in the ledger), refused (quarantined like a refused line), skipped.',
        'counter',
        () => perEndpoint(this.pushRecords, 'result', PUSH_RECORD_RESULTS)
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

  countPushRequest(endpoint: string, outcome: PushOutcome): void {
    bumpIn(this.pushRequests, endpoint, outcome, 1);
  }

  countPushRecords(endpoint: string, result: PushRecordResult, n: number): void {
    bumpIn(this.pushRecords, endpoint, result, n);
  }

  countFileEvent(source: string, event: FollowerEventName): void {
    let counts = this.fileEvents.get(source);
    if (!counts) this.fileEvents.set(source, (counts = new Map<FollowerEventName, number>()));
    counts.set(event, (counts.get(event) ?? 0) + 1);
  }
}

function bumpIn<K>(counts: Map<string, Map<K, number>>, endpoint: string, key: K, n: number): void {
  let byKey = counts.get(endpoint);
  if (!byKey) counts.set(endpoint, (byKey = new Map<K, number>()));
  byKey.set(key, (byKey.get(key) ?? 0) + n);
}

/** Every value of `label` for each endpoint seen (0 when it never happened), so a rate starts from 0. */
function perEndpoint<K extends string>(
  counts: Map<string, Map<K, number>>,
  label: string,
  values: readonly K[]
): { labels: Record<string, string>; value: number }[] {
  return [...counts].flatMap(([endpoint, byKey]) =>
    values.map((v) => ({ labels: { endpoint, [label]: v }, value: byKey.get(v) ?? 0 }))
  );
}
