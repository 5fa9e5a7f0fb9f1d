import fc from 'fast-check';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReadPosition } from '../ledger/ledger';
import {
  increaseOver,
  PrometheusError,
  PrometheusSource,
  PrometheusSourceOptions,
  Series,
  stepRecords,
} from './prometheusSource';
import type { SourceRead } from './types';

const s = (pairs: [number, number][]) => pairs.map(([t, v]) => ({ t, v }));
const O = {
  tokensMetric: 'authorized_hits',
  requestsMetric: 'authorized_calls',
  labels: { user: 'user', tier: 'tier', model: 'model' },
};

describe('increaseOver', () => {
  it('counts growth after the baseline, and a drop as a reset counted from zero', () => {
    const samples = s([
      [1000, 50],
      [2000, 70],
      [3000, 5],
      [4000, 9],
      [5000, 100],
    ]);
    expect(increaseOver(samples, 1000, 4000)).toBe(20 + 5 + 4);
    expect(increaseOver(samples, 4000, 5000)).toBe(91);
  });

  it('counts a series with no sample before the step from zero', () => {
    expect(
      increaseOver(
        s([
          [1500, 7],
          [1800, 9],
        ]),
        1000,
        2000
      )
    ).toBe(9);
  });

  it('over consecutive steps, adds up to the growth of the counter, resets included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(1000), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 9 }),
        (vs, step) => {
          const samples = vs.map((v, i) => ({ t: (i + 1) * 1000, v }));
          let growth = 0;
          vs.forEach((v, i) => (growth += i === 0 || v < vs[i - 1]! ? v : v - vs[i - 1]!));
          let total = 0;
          for (let start = 0; start < (vs.length + 1) * 1000; start += step * 1000)
            total += increaseOver(samples, start, start + step * 1000);
          expect(total).toBe(growth);
        }
      )
    );
  });
});

describe('stepRecords', () => {
  const series = (labels: Record<string, string>, pairs: [number, number][]): Series => ({ labels, samples: s(pairs) });

  it('makes one record per tokens series with usage, ids stable per series and step, and request records for the calls beyond them', () => {
    const tokens = [
      series({ user: 'alice', tier: 'free', model: 'granite' }, [
        [0, 100],
        [60_000, 400],
      ]),
      series({ user: 'alice', tier: 'free', model: 'llama' }, [
        [0, 10],
        [60_000, 30],
      ]),
      series({ user: 'bob', tier: 'premium', model: 'granite' }, [
        [0, 5],
        [60_000, 5],
      ]),
    ];
    // Limitador's authorized_calls has no model label (MaaS telemetry-defaults-and-cardinality.md).
    const requests = [
      series({ user: 'alice', tier: 'free' }, [
        [0, 1],
        [60_000, 6],
      ]),
      series({ user: 'bob', tier: 'premium' }, [
        [0, 2],
        [60_000, 3],
      ]),
    ];
    const records = stepRecords(O, tokens, requests, 0, 60_000);
    expect(records.map((r) => [r.user, r.tier, r.model, r.usage.prompt_tokens])).toEqual([
      ['alice', 'free', 'granite', 300],
      ['alice', 'free', 'llama', 20],
      ['alice', 'free', 'granite', 0],
      ['alice', 'free', 'granite', 0],
      ['alice', 'free', 'granite', 0],
      ['bob', 'premium', 'granite', 0],
    ]);
    expect(new Set(records.map((r) => r.request_id)).size).toBe(records.length);
    expect(stepRecords(O, tokens, requests, 0, 60_000)).toEqual(records);
    expect(records.every((r) => r.start_time === 0)).toBe(true);
  });
});

/**
 * A Prometheus on 127.0.0.1 answering instant queries of range vectors, `GET <prefix>/api/v1/query?query=m[Ns]&time=T`,
 * as the HTTP API documents them (https://prometheus.io/docs/prometheus/latest/querying/api/#instant-queries and
 * #range-vectors): `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{...},"values":[[<unix
 * seconds>,"<value>"],...]}]}}`, the raw samples of each series in (T - N, T]; errors as
 * `{"status":"error","errorType":...,"error":...}`.
 */
class FakePrometheus {
  readonly series = new Map<string, Series[]>();
  readonly queries: string[] = [];
  /** The answer to the next query instead of the samples: a status and a body. */
  failWith: [number, string] | undefined;
  private server!: Server;
  url = '';

  async start(prefix: string): Promise<void> {
    this.server = createServer((req, res) => {
      const u = new URL(req.url!, 'http://prometheus');
      this.queries.push(`${u.pathname}?${u.searchParams.toString()}`);
      const fail = this.failWith;
      this.failWith = undefined;
      if (fail) {
        res.writeHead(fail[0], { 'content-type': 'application/json' }).end(fail[1]);
        return;
      }
      const [, metric, rangeS] = /^(\w+)\[(\d+)s\]$/.exec(u.searchParams.get('query')!)!;
      const time = Number(u.searchParams.get('time')) * 1000;
      const from = time - Number(rangeS) * 1000;
      const result = (this.series.get(metric!) ?? []).map((x) => ({
        metric: x.labels,
        values: x.samples.filter((p) => p.t > from && p.t <= time).map((p) => [p.t / 1000, String(p.v)]),
      }));
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } }));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${prefix}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('PrometheusSource over the HTTP API', () => {
  // Real HTTP round trips (up to 60 in one test): more than Jest's default 5 s on a loaded machine.
  jest.setTimeout(30_000);
  const MIN = 60_000;
  const T = Date.parse('2026-01-01T00:00:00Z');
  let prom: FakePrometheus;
  let now: number;
  let errors: Error[];
  let reads: SourceRead[];
  const handler = async (r: SourceRead) => {
    reads.push(r);
  };

  beforeEach(async () => {
    prom = new FakePrometheus();
    await prom.start('/prom');
    now = T;
    errors = [];
    reads = [];
    // alice's tokens grow by 100 in the step (T, T+1m] and by 50 in the next; two calls in the first step.
    prom.series.set('authorized_hits', [
      {
        labels: { user: 'alice', tier: 'free', model: 'granite' },
        samples: s([
          [T - 30_000, 1000],
          [T + 30_000, 1100],
          [T + MIN + 30_000, 1150],
        ]),
      },
    ]);
    prom.series.set('authorized_calls', [
      {
        labels: { user: 'alice', tier: 'free' },
        samples: s([
          [T - 30_000, 10],
          [T + 30_000, 12],
          [T + MIN + 30_000, 12],
        ]),
      },
    ]);
  });

  afterEach(() => prom.stop());

  const source = (o: Partial<PrometheusSourceOptions> = {}) =>
    new PrometheusSource({
      source: 'limitador',
      url: prom.url,
      stepMs: MIN,
      ...O,
      sinceMs: T,
      lookbackMs: 5 * MIN,
      delayMs: 10_000,
      clock: () => now,
      onError: (e) => errors.push(e),
      ...o,
    });
  const position = (url: string, offset: number): ReadPosition => ({
    source: 'limitador',
    fileKey: `prometheus:${url}`,
    path: url,
    fingerprint: '',
    fingerprintLen: 0,
    offset,
    line: 0,
    finished: false,
  });
  const tokensOf = (r: SourceRead) =>
    r.texts.map((t) => (JSON.parse(t.text) as { usage: { prompt_tokens: number } }).usage.prompt_tokens);

  it('reads a step once it has ended and its delay has passed, with the step as its position', async () => {
    const src = source();
    src.init([]);
    now = T + MIN + 9_999;
    expect(await src.poll(handler)).toBe(false);
    expect(prom.queries).toEqual([]);
    now = T + MIN + 10_000;
    expect(await src.poll(handler)).toBe(true);
    expect(reads).toHaveLength(1);
    const [read] = reads;
    expect(read!.path).toBe(prom.url);
    expect(tokensOf(read!)).toEqual([100, 0]); // alice's tokens, and a record for her second call
    expect(read!.texts.map((t) => [t.line, t.startOffset, t.endOffset, t.tooLong])).toEqual([
      [1, T, T + MIN, false],
      [2, T, T + MIN, false],
    ]);
    expect(read!.position).toEqual(position(prom.url, T + MIN));
    // Each counter's raw samples over the step and its lookback, at the step's end, under the URL's path.
    expect(prom.queries.sort()).toEqual([
      `/prom/api/v1/query?query=authorized_calls%5B360s%5D&time=${(T + MIN) / 1000}`,
      `/prom/api/v1/query?query=authorized_hits%5B360s%5D&time=${(T + MIN) / 1000}`,
    ]);
    expect(await src.poll(handler)).toBe(false); // the next step has not ended
    expect(reads).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('catches up step by step, at most maxStepsPerPoll in one poll, and only the tokens counter without a requests metric', async () => {
    const src = source({ maxStepsPerPoll: 1, requestsMetric: undefined });
    src.init([]);
    now = T + 3 * MIN + 10_000;
    expect(await src.poll(handler)).toBe(true);
    expect(await src.poll(handler)).toBe(true);
    expect(await src.poll(handler)).toBe(true);
    expect(await src.poll(handler)).toBe(false);
    expect(reads.map((r) => [r.position!.offset, tokensOf(r)])).toEqual([
      [T + MIN, [100]],
      [T + 2 * MIN, [50]],
      [T + 3 * MIN, []],
    ]);
    expect(prom.queries.every((q) => q.includes('authorized_hits'))).toBe(true);
    expect(prom.queries).toHaveLength(3);
  });

  it('reads up to 60 steps in a poll by default', async () => {
    const src = source({ requestsMetric: undefined });
    src.init([]);
    now = T + 61 * MIN + 10_000;
    expect(await src.poll(handler)).toBe(true);
    expect(reads).toHaveLength(60);
    expect(await src.poll(handler)).toBe(true);
    expect(reads).toHaveLength(61);
  });

  it('goes on after its committed position, and starts in the step holding `since` (or now) without one', async () => {
    now = T + 2 * MIN + 10_000;
    const resumed = source();
    resumed.init([
      position('http://elsewhere/', T - 5 * MIN), // another Prometheus's
      position(prom.url, T + MIN),
    ]);
    await resumed.poll(handler);
    expect(reads.map((r) => r.position!.offset)).toEqual([T + 2 * MIN]);

    reads = [];
    const fromSince = source({ sinceMs: T + MIN + 59_999 });
    fromSince.init([]);
    await fromSince.poll(handler);
    expect(reads.map((r) => r.position!.offset)).toEqual([T + 2 * MIN]);

    reads = [];
    const fromNow = source({ sinceMs: undefined });
    fromNow.init([]);
    expect(await fromNow.poll(handler)).toBe(false); // the step holding now has not ended
    now = T + 3 * MIN + 10_000;
    await fromNow.poll(handler);
    expect(reads.map((r) => r.position!.offset)).toEqual([T + 3 * MIN]);
  });

  it('says why Prometheus could not be read and tries the same step again at the next poll', async () => {
    // A URL given with its trailing slash makes the same queries; one counter, so each failure is its query's.
    const src = source({ url: `${prom.url}/`, requestsMetric: undefined });
    src.init([]);
    now = T + MIN + 10_000;
    prom.failWith = [400, JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error' })];
    expect(await src.poll(handler)).toBe(false);
    prom.failWith = [503, 'Service Unavailable'];
    expect(await src.poll(handler)).toBe(false);
    prom.failWith = [200, JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } })];
    expect(await src.poll(handler)).toBe(false);
    expect(errors.every((e) => e instanceof PrometheusError)).toBe(true);
    const origin = new URL(prom.url).origin;
    expect(errors.map((e) => e.message)).toEqual([
      `${origin}: authorized_hits: parse error`,
      `${origin}: authorized_hits: HTTP 503`,
      `${origin}: authorized_hits: HTTP 200`,
    ]);
    expect(reads).toEqual([]);
    expect(await src.poll(handler)).toBe(true);
    expect(reads.map((r) => [r.position!.offset, tokensOf(r)])).toEqual([[T + MIN, [100]]]);
    expect(prom.queries.every((q) => q.startsWith('/prom/api/v1/query?'))).toBe(true);
  });

  it('has no byte backlog', async () => {
    const src = source();
    src.init([]);
    expect(src.backlog()).toEqual([]);
    await src.close();
  });
});
