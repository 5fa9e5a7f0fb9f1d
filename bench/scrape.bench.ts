/**
 * /metrics benchmark: the usage families (requests, tokens by bucket, cost) at 10,000, 42,000 and 100,000
 * series, rendered by UsageExposition (incremental, in slices) next to baselines of the same samples measured
 * in the same run: prom-client's own full render (Counters with labels, `registry.metrics()`, as the exporter
 * once rendered them) and a plain `JSON.stringify` of the samples. For each it prints the render time and the
 * longest the event loop was held during it (a 1 ms interval timer's longest gap, the last one up to the
 * render's end included): ingestion runs on that loop. The renders measured: the first (every chunk), after a
 * batch that changed every cell, and after a batch that changed 1 % of them.
 *   npm run bench:scrape -- [SERIES,...] [--rounds N]     (default 10000,42000,100000; 5 rounds)
 * Renders slice themselves (UsageExposition's SLICE_MS); the stall of a render is its longest slice plus any
 * garbage collection in it.
 */
import { parseArgs } from 'node:util';
import { Counter, Registry } from 'prom-client';
import type { MetricTotals } from '../exporter/src/ledger/metricTotals';
import { DEFAULT_METRICS_CONFIG } from '../exporter/src/metrics/exporterMetrics';
import { UsageAggregate } from '../exporter/src/metrics/usageAggregate';
import { UsageExposition } from '../exporter/src/metrics/usageExposition';
import { picoToUsdNumber } from '../exporter/src/money';

const MODELS = ['gpt-4o', 'gpt-4o-mini', 'claude-haiku-4-5', 'claude-sonnet-4-5', 'gemini-2.5-pro', 'o3'];
/** Series per label tuple with the default labels: requests, 4 token buckets, cost. */
const SERIES_PER_TUPLE = 6;

/** `tuples` label tuples as a fleet's keys make them (500 users, 20 teams, 6 models), `requests` each. */
function batch(tuples: number, requests: number): MetricTotals {
  return {
    cells: Array.from({ length: tuples }, (_, i) => ({
      labels: [
        `user-${i % 500}@example.com`,
        'standard',
        `sk-team-key-${i}`,
        `team-${i % 20}`,
        MODELS[i % 6]!,
        'success',
      ],
      requests,
      tokens: [1843 * requests, 512 * requests, 0, 397 * requests],
      costPusd: 7_123_456_789n * BigInt(requests),
    })),
    latency: MODELS.map((model) => ({
      model,
      buckets: [1, 5, 9, 20, 40, 50, 60, 60, 60, 60, 60],
      count: 60,
      sumSeconds: 97.5,
    })),
    unpriced: [],
    reconciliation: [],
  };
}

interface Timing {
  ms: number;
  stallMs: number;
}

/**
 * Times `work`, and the longest stretch in which a 1 ms interval timer could not run, up to the end of `work`.
 * Each starts from a collected heap (node --expose-gc), so that no measurement pays for another's garbage
 * (prom-client's render leaves hundreds of MB of it).
 */
async function timed(work: () => unknown): Promise<Timing> {
  global.gc?.();
  let last = performance.now();
  let stall = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last);
    last = now;
  }, 1);
  // Starts on a fresh turn of the loop, so the first gap is the work's own.
  await new Promise((r) => setTimeout(r, 5));
  last = performance.now();
  stall = 0;
  const t0 = performance.now();
  await work();
  const end = performance.now();
  clearInterval(probe);
  return { ms: end - t0, stallMs: Math.max(stall, end - last) };
}

/** prom-client's Counters holding the same samples, as the exporter kept them before it wrote the text itself. */
function promClientRegistry(usage: UsageAggregate): Registry {
  const registry = new Registry();
  const labelNames = ['user', 'tier', 'api_key', 'team', 'model'];
  const requests = new Counter({
    name: 'tokenledger_requests_total',
    help: 'requests',
    labelNames: [...labelNames, 'status'],
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'tokenledger_tokens_total',
    help: 'tokens',
    labelNames: [...labelNames, 'bucket'],
    registers: [registry],
  });
  const cost = new Counter({ name: 'tokenledger_cost_usd_total', help: 'cost', labelNames, registers: [registry] });
  const buckets = ['input_uncached', 'cache_read', 'cache_write', 'output'];
  for (const c of usage.cells.values()) {
    const [user, tier, api_key, team, model, status] = c.labels;
    const labels = { user, tier, api_key, team, model };
    requests.inc({ ...labels, status }, c.requests);
    c.tokens.forEach((t, i) => tokens.inc({ ...labels, bucket: buckets[i] }, t));
    cost.inc(labels, picoToUsdNumber(c.costPusd));
  }
  return registry;
}

/** The samples as plain objects, for JSON.stringify. */
function plainSamples(usage: UsageAggregate): unknown[] {
  return [...usage.cells.values()].map((c) => ({
    labels: c.labels,
    requests: c.requests,
    tokens: c.tokens,
    cost: String(c.costPusd),
  }));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measureSeries(series: number, rounds: number): Promise<void> {
  const tuples = Math.round(series / SERIES_PER_TUPLE);
  const usage = new UsageAggregate();
  const exposition = new UsageExposition(usage, { ...DEFAULT_METRICS_CONFIG, maxSeries: 1_000_000 });
  usage.addTotals(batch(tuples, 1));
  let text = Buffer.alloc(0);
  const first = await timed(async () => {
    text = Buffer.concat((await exposition.render()).parts.map((p) => p.text));
  });
  const samples = text
    .toString()
    .split('\n')
    .filter((l) => l && !l.startsWith('#')).length;
  const registry = promClientRegistry(usage);
  const plain = plainSamples(usage);
  const results = { all: [] as Timing[], onePercent: [] as Timing[], promClient: [] as Timing[], json: [] as Timing[] };
  for (let r = 0; r < rounds; r++) {
    // Alternating, so the baselines and the renders see the same machine.
    results.promClient.push(await timed(() => registry.metrics()));
    usage.addTotals(batch(tuples, 1));
    results.all.push(await timed(() => exposition.render()));
    results.json.push(await timed(() => JSON.stringify(plain)));
    usage.addTotals(batch(Math.ceil(tuples / 100), 1));
    results.onePercent.push(await timed(() => exposition.render()));
  }
  const promMs = median(results.promClient.map((t) => t.ms));
  const row = (name: string, ts: Timing[]) => {
    const ms = median(ts.map((t) => t.ms));
    const stall = Math.max(...ts.map((t) => t.stallMs));
    return `  ${name.padEnd(50)} ${ms.toFixed(1).padStart(7)} ms ${(ms / promMs).toFixed(3).padStart(7)} x prom-client   longest stall ${stall.toFixed(1).padStart(6)} ms`;
  };
  console.log(
    `${samples.toLocaleString('en')} samples (${tuples.toLocaleString('en')} label tuples), ${(text.length / 1048576).toFixed(1)} MB of text:`
  );
  console.log(row('baseline: prom-client registry.metrics()', results.promClient));
  console.log(row('baseline: JSON.stringify of the same samples', results.json));
  console.log(row('UsageExposition, first render (every chunk)', [first]));
  console.log(row('UsageExposition, after a batch changing every cell', results.all));
  console.log(row('UsageExposition, after a batch changing 1 % of cells', results.onePercent));
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { rounds: { type: 'string', default: '5' } },
    allowPositionals: true,
  });
  const sizes = (positionals[0] ?? '10000,42000,100000').split(',').map(Number);
  const rounds = Number(values.rounds);
  console.log(`median of ${rounds} rounds (first render: one); longest stall: the worst of the rounds`);
  for (const series of sizes) await measureSeries(series, rounds);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
