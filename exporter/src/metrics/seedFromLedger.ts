import type { Ledger } from '../ledger/ledger';
import type { ExporterMetrics } from './exporterMetrics';
import { LATENCY_BUCKETS } from './usageAggregate';

/**
 * Seeds the metrics with the ledger's totals at start, so counters continue where they were instead of
 * restarting at zero (the most common complaint about gateway-side metrics).
 */
export async function seedMetricsFromLedger(ledger: Ledger, metrics: ExporterMetrics): Promise<void> {
  const usage = metrics.usage;
  const cells = await ledger.rows(`
    SELECT user_id, tier, api_key, team, model, status, count(*) AS requests,
      sum(input_uncached) AS t0, sum(cache_read) AS t1, sum(cache_write) AS t2, sum(output) AS t3,
      coalesce(sum(cost_pusd), 0) AS cost
    FROM usage GROUP BY ALL`);
  for (const r of cells) {
    const c = usage.cell([r.user_id, r.tier, r.api_key, r.team, r.model, r.status].map(String));
    c.requests += Number(r.requests);
    c.tokens = [Number(r.t0), Number(r.t1), Number(r.t2), Number(r.t3)];
    c.costPusd += BigInt(r.cost as bigint);
  }
  // Bucket bounds are our constants, not input: safe to inline.
  const bucketSql = LATENCY_BUCKETS.map((le, i) => `count(*) FILTER (WHERE duration_ms <= ${le * 1000}) AS b${i}`).join(', ');
  for (const r of await ledger.rows(`SELECT model, ${bucketSql}, count(duration_ms) AS n, coalesce(sum(duration_ms), 0) AS total_ms FROM usage WHERE duration_ms IS NOT NULL GROUP BY model`)) {
    const l = usage.latencyCell(String(r.model));
    l.buckets = LATENCY_BUCKETS.map((_, i) => Number(r[`b${i}`]));
    l.count = Number(r.n);
    l.sumSeconds = Number(r.total_ms) / 1000;
  }
  for (const r of await ledger.rows('SELECT model, count(*) AS n FROM usage WHERE NOT priced_on_ingest GROUP BY model')) {
    usage.unpriced.set(String(r.model), Number(r.n));
  }
  for (const c of await ledger.counters()) {
    if (c.name === 'lines_read') metrics.linesRead.set(c.label, c.value);
    else if (c.name === 'lines_rejected') metrics.linesRejected.set(c.label, c.value);
  }
  metrics.lastCheckpointMs = Number((await ledger.scalar(`SELECT coalesce(epoch_ms(max(updated_at)), 0) FROM read_positions`)) ?? 0);
}
