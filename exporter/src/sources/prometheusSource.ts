import { createHash } from 'node:crypto';
import type { ReadPosition } from '../ledger/ledger';
import type { FramedText } from '../parse/framer';
import type { Backlog, ReadHandler } from './types';

/**
 * Usage that exists only as counters: Kuadrant's Limitador (Red Hat MaaS) counts tokens in `authorized_hits`
 * and requests in `authorized_calls`, labelled by Kuadrant's TelemetryPolicy (`user`, `model`, and `tier` or
 * `subscription`: opendatahub-io/models-as-a-service deployment/base/observability/gateway-telemetry-policy.yaml;
 * Kuadrant/kuadrant-operator doc/overviews/telemetrypolicy.md). This source reads them from the Prometheus
 * HTTP API one fixed step at a time and turns each step's increase of each series into ledger records.
 *
 * A step is the interval (start, start + step]; a step's increase of a series is computed from its raw
 * samples as Prometheus' increase() counts resets: a sample lower than the one before it is a reset, and
 * counts from zero. The sample before the step (within `lookback`) is the baseline; a series with none is
 * new (Limitador creates a counter at its first hit, and starts it again at zero after a restart) and counts
 * from zero. Unlike increase(), nothing is extrapolated: the steps' increases add up to the counters' growth.
 *
 * Records: one per tokens series and step (its tokens in one bucket: Limitador counts total tokens), with a
 * request id made of the metric, the series' labels and the step's start, so a step read again is stored
 * once. The ledger counts a request per record: a (user, tier[, model]) group whose request counter grew by
 * more than its token records in the step gets zero-token records for the rest, so requests add up too. The
 * position committed with a step's records is the step's end: a restart goes on with the next step.
 */

export interface PrometheusSourceOptions {
  source: string;
  url: string;
  stepMs: number;
  tokensMetric: string;
  requestsMetric: string | undefined;
  /** Label names of the counters (TelemetryPolicy keys) for the user, the tier and the model. */
  labels: { user: string; tier: string; model: string };
  /** Where the first run starts: the step holding this time (default: the step that ends next). */
  sinceMs: number | undefined;
  /** How far before a step its baseline sample is looked for; beyond it a series counts as new. */
  lookbackMs: number;
  /** How long after a step ends it is read: scrapes of its last moments must have landed. */
  delayMs: number;
  clock?: () => number;
  /** Steps read in one poll, so a long backfill does not hold up the other sources. */
  maxStepsPerPoll?: number;
  /** Prometheus could not be read: said, and the step tried again at the next poll. */
  onError: (e: Error) => void;
}

/** One record, as the source's fixed mapping (prometheusMapping) reads it. */
export interface StepRecord {
  request_id: string;
  start_time: number;
  user?: string;
  tier?: string;
  model: string;
  usage: { prompt_tokens: number; completion_tokens: 0 };
}

interface Sample {
  t: number;
  v: number;
}

export interface Series {
  labels: Record<string, string>;
  samples: Sample[];
}

/** The increase of a counter over (startMs, endMs], resets counted from zero, from samples in time order. */
export function increaseOver(samples: readonly Sample[], startMs: number, endMs: number): number {
  let prev: number | undefined;
  let total = 0;
  for (const { t, v } of samples) {
    if (t > endMs) break;
    if (t <= startMs) {
      prev = v;
      continue;
    }
    total += prev === undefined || v < prev ? v : v - prev;
    prev = v;
  }
  return total;
}

/** A series' stable id: its label set, hashed (Prometheus' own identity of a series). */
function seriesId(labels: Record<string, string>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((k) => [k, labels[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 24);
}

/** The records of one step from the two counters' series (see the module comment). */
export function stepRecords(
  o: Pick<PrometheusSourceOptions, 'tokensMetric' | 'requestsMetric' | 'labels'>,
  tokens: readonly Series[],
  requests: readonly Series[],
  startMs: number,
  endMs: number
): StepRecord[] {
  const { user, tier, model } = o.labels;
  const records: StepRecord[] = [];
  const record = (id: string, labels: Record<string, string>, modelName: string, n: number): StepRecord => ({
    request_id: id,
    start_time: startMs,
    ...(labels[user] !== undefined ? { user: labels[user] } : {}),
    ...(labels[tier] !== undefined ? { tier: labels[tier] } : {}),
    model: modelName,
    usage: { prompt_tokens: n, completion_tokens: 0 },
  });
  /** Per (user, tier[, model]) group: its token records, and the model of its largest tokens series. */
  const groups = new Map<string, { records: StepRecord[]; model: string; most: number }>();
  const groupOf = (labels: Record<string, string>, withModel: boolean) =>
    JSON.stringify([labels[user], labels[tier], withModel ? labels[model] : undefined]);
  for (const s of tokens) {
    const n = Math.round(increaseOver(s.samples, startMs, endMs));
    const modelName = s.labels[model] ?? 'unknown';
    const r = n > 0 ? record(`${o.tokensMetric}:${seriesId(s.labels)}:${startMs}`, s.labels, modelName, n) : undefined;
    if (r) records.push(r);
    for (const withModel of [true, false]) {
      const key = groupOf(s.labels, withModel);
      const g = groups.get(key) ?? { records: [], model: modelName, most: -1 };
      if (r) g.records.push(r);
      if (n > g.most) Object.assign(g, { model: modelName, most: n });
      groups.set(key, g);
    }
  }
  for (const s of requests) {
    const calls = Math.round(increaseOver(s.samples, startMs, endMs));
    const g = groups.get(groupOf(s.labels, s.labels[model] !== undefined));
    // Requests whose counter has no model label are put on the group's model with the most tokens.
    const modelName = s.labels[model] ?? g?.model ?? 'unknown';
    for (let k = g?.records.length ?? 0; k < calls; k++)
      records.push(record(`${o.requestsMetric}:${seriesId(s.labels)}:${startMs}:${k}`, s.labels, modelName, 0));
  }
  return records;
}

interface PromMatrix {
  status: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; values: [number, string][] }[] };
}

export class PrometheusSource {
  /** End of the last step read (its records handed over with this position). */
  private doneUntilMs = 0;
  private readonly now: () => number;

  constructor(private readonly o: PrometheusSourceOptions) {
    this.now = o.clock ?? Date.now;
  }

  /** Where this source stands: its committed position, or the step that `since` (or now) falls in. */
  init(saved: readonly ReadPosition[]): void {
    const mine = saved.find((p) => p.fileKey === this.key);
    const step = this.o.stepMs;
    this.doneUntilMs = mine ? mine.offset : Math.floor((this.o.sinceMs ?? this.now()) / step) * step;
  }

  private get key(): string {
    return `prometheus:${this.o.url}`;
  }

  /** Reads every step that has ended (and waited `delay`), up to maxStepsPerPoll; whether any was read. */
  async poll(handler: ReadHandler): Promise<boolean> {
    const max = this.o.maxStepsPerPoll ?? 60;
    let read = 0;
    while (read < max && this.doneUntilMs + this.o.stepMs + this.o.delayMs <= this.now()) {
      const startMs = this.doneUntilMs;
      const endMs = startMs + this.o.stepMs;
      let tokens: Series[];
      let requests: Series[];
      try {
        [tokens, requests] = await Promise.all([
          this.samples(this.o.tokensMetric, endMs),
          this.o.requestsMetric ? this.samples(this.o.requestsMetric, endMs) : Promise.resolve([]),
        ]);
      } catch (e) {
        this.o.onError(e as Error);
        break;
      }
      const texts: FramedText[] = stepRecords(this.o, tokens, requests, startMs, endMs).map((r, i) => ({
        text: JSON.stringify(r),
        line: i + 1,
        startOffset: startMs,
        endOffset: endMs,
        tooLong: false,
      }));
      await handler({ path: this.o.url, texts, position: this.position(endMs) });
      this.doneUntilMs = endMs;
      read++;
    }
    return read > 0;
  }

  private position(endMs: number): ReadPosition {
    return {
      source: this.o.source,
      fileKey: this.key,
      path: this.o.url,
      fingerprint: '',
      fingerprintLen: 0,
      offset: endMs,
      line: 0,
      finished: false,
    };
  }

  /** Raw samples of `metric` in (endMs - step - lookback, endMs]: the step's and its baseline. */
  private async samples(metric: string, endMs: number): Promise<Series[]> {
    const rangeS = Math.ceil((this.o.stepMs + this.o.lookbackMs) / 1000);
    const url = new URL('api/v1/query', this.o.url.endsWith('/') ? this.o.url : `${this.o.url}/`);
    url.searchParams.set('query', `${metric}[${rangeS}s]`);
    url.searchParams.set('time', String(endMs / 1000));
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    const body = (await res.json().catch(() => ({ status: 'error', error: `HTTP ${res.status}` }))) as PromMatrix;
    if (body.status !== 'success' || body.data?.resultType !== 'matrix')
      throw new PrometheusError(`${url.origin}: ${metric}: ${body.error ?? `HTTP ${res.status}`}`);
    return body.data.result.map((r) => ({
      labels: r.metric,
      samples: r.values.map(([t, v]) => ({ t: Math.round(t * 1000), v: Number(v) })),
    }));
  }

  /** Nothing is held in files: a source behind by steps is not a byte backlog. */
  backlog(): Backlog[] {
    return [];
  }

  async close(): Promise<void> {}
}

/** Prometheus did not answer a query as expected: retried at the next poll. */
export class PrometheusError extends Error {}
