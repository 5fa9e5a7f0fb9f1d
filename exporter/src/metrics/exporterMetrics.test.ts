import { gunzipSync } from 'node:zlib';
import type { MetricTotals } from '../ledger/metricTotals';
import { DEFAULT_METRICS_CONFIG, ExporterMetrics } from './exporterMetrics';

/** Totals for `n` label tuples of one model, each with `requests` requests. */
function totals(n: number, requests: number, model = 'gpt-4o'): MetricTotals {
  return {
    cells: Array.from({ length: n }, (_, i) => ({
      labels: [`user-${i % 500}@example.com`, 'standard', `key-${i}`, `team-${i % 20}`, model, 'success'],
      requests,
      tokens: [1000 * requests, 10, 0, 200 * requests],
      costPusd: 1_234_567n * BigInt(requests),
    })),
    latency: [],
    unpriced: [],
    reconciliation: [],
  };
}

const text = async (m: ExporterMetrics) => Buffer.concat(await m.exposition()).toString();
const requestsOfKey0 = (exposition: string) => /api_key="key-0",[^\n]*status="success"\} (\d+)\n/.exec(exposition)?.[1];

describe('ExporterMetrics exposition', () => {
  it('lets the event loop turn while it renders 100,000 series, instead of holding it for the whole render', async () => {
    const metrics = new ExporterMetrics({ ...DEFAULT_METRICS_CONFIG, maxSeries: 1_000_000 }, () => []);
    // 6 series per tuple: requests, 4 token buckets, cost.
    metrics.usage.addTotals(totals(100_000 / 6, 3));
    let turns = 0;
    let rendering = true;
    const turn = () => {
      turns++;
      if (rendering) setImmediate(turn);
    };
    setImmediate(turn);
    const parts = await metrics.exposition();
    rendering = false;
    expect(
      Buffer.concat(parts)
        .toString()
        .match(/^tokenledger_tokens_total\{/gm)
    ).toHaveLength(4 * 16_666);
    // A render of this size takes tens of ms in slices of a few; held in one piece, nothing else runs.
    expect(turns).toBeGreaterThanOrEqual(3);
  });

  it('serves the last complete text while the next is rendered, and renders it without waiting for a scrape', async () => {
    const metrics = new ExporterMetrics(DEFAULT_METRICS_CONFIG, () => []);
    metrics.usage.addTotals(totals(2000, 1));
    const first = await text(metrics);
    expect(requestsOfKey0(first)).toBe('1');
    metrics.usage.addTotals(totals(2000, 1));
    // The change starts a render; this scrape does not wait for it.
    expect(requestsOfKey0(await text(metrics))).toBe('1');
    const deadline = Date.now() + 10_000;
    while (requestsOfKey0(await text(metrics)) === '1' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(requestsOfKey0(await text(metrics))).toBe('2');
  });

  it('renders a change made of several steps in one go (a re-pricing adds the cost of each record on its own)', async () => {
    const metrics = new ExporterMetrics(DEFAULT_METRICS_CONFIG, () => []);
    metrics.usage.addTotals(totals(10, 1));
    const cost = async () =>
      [...(await text(metrics)).matchAll(/^tokenledger_cost_usd_total\{.*\} (\S+)$/gm)].reduce(
        (s, m) => s + Number(m[1]),
        0
      );
    const before = await cost();
    // Past the interval between renders, so the next change starts one at once.
    await new Promise((r) => setTimeout(r, 300));
    const [labels] = totals(1, 1).cells.map((c) => c.labels);
    for (let i = 0; i < 3; i++) metrics.usage.addCost(labels!, 1_000_000_000_000n);
    const deadline = Date.now() + 10_000;
    let after = await cost();
    while (after === before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
      after = await cost();
    }
    expect(after - before).toBeCloseTo(3, 9);
  });

  it("exposes requests without reported usage and the gateway's cost against ours per model, summed over batches", async () => {
    const metrics = new ExporterMetrics(DEFAULT_METRICS_CONFIG, () => []);
    const batch = (unreported: number, gateway: bigint, ours: bigint) => ({
      ...totals(0, 0),
      reconciliation: [
        {
          model: 'gpt-4o',
          unreportedRequests: unreported,
          gatewayRequests: 2,
          gatewayCostPusd: gateway,
          gatewayOursPusd: ours,
        },
      ],
    });
    metrics.usage.addTotals(batch(1, 1_500_000_000_000n, 2_000_000_000_000n));
    metrics.usage.addTotals(batch(2, 250_000_000_000n, 250_000_000_000n));
    const exposition = await text(metrics);
    for (const [name, value] of [
      ['tokenledger_unreported_usage_requests_total', '3'],
      ['tokenledger_gateway_compared_requests_total', '4'],
      ['tokenledger_gateway_reported_cost_usd_total', '1.75'],
      ['tokenledger_gateway_compared_cost_usd_total', '2.25'],
    ]) {
      expect(exposition).toContain(`# HELP ${name} `);
      expect(exposition).toContain(`# TYPE ${name} counter\n`);
      expect(exposition).toContain(`${name}{model="gpt-4o"} ${value}\n`);
    }
  });

  it('gzips the same text, as gzip members that read as one stream', async () => {
    const metrics = new ExporterMetrics(DEFAULT_METRICS_CONFIG, () => []);
    metrics.usage.addTotals(totals(3000, 2));
    const plain = Buffer.concat(await metrics.exposition(false));
    const gzipped = await metrics.exposition(true);
    expect(gzipped.length).toBeGreaterThan(1);
    expect(gunzipSync(Buffer.concat(gzipped)).toString()).toBe(plain.toString());
  });
});
