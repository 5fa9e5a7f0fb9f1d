import { LATENCY_BUCKETS, NO_METRIC_TOTALS } from './metricTotals';

describe('metric totals', () => {
  it('of no rows add nothing', () => {
    expect(NO_METRIC_TOTALS).toEqual({ cells: [], latency: [], unpriced: [], reconciliation: [] });
  });

  it('sum latencies into histogram bounds Prometheus accepts: strictly ascending, from 100 ms to 5 minutes', () => {
    expect(LATENCY_BUCKETS[0]).toBe(0.1);
    expect(LATENCY_BUCKETS.at(-1)).toBe(300);
    for (let i = 1; i < LATENCY_BUCKETS.length; i++)
      expect(LATENCY_BUCKETS[i]!).toBeGreaterThan(LATENCY_BUCKETS[i - 1]!);
  });
});
