import { LATENCY_BUCKETS } from '../metrics/usageAggregate';

/**
 * What a set of usage rows adds to the metrics, summed in DuckDB: per label tuple, per model's latency,
 * and unpriced requests per model. Used to seed the metrics at start and, for a batch of which some rows
 * were already in the ledger, to count only the rows that landed.
 */
export interface UsageTotals {
  cells: { labels: string[]; requests: number; tokens: number[]; costPusd: bigint }[];
  latency: { model: string; buckets: number[]; count: number; sumSeconds: number }[];
  unpriced: { model: string; requests: number }[];
}

type Query = (sql: string) => Promise<Record<string, unknown>[]>;

/** `where` is ours (a constant or a batch number), never input. */
export async function usageTotals(query: Query, where: string): Promise<UsageTotals> {
  const cells = await query(`
    SELECT user_id, tier, api_key, team, model, status, count(*) AS requests,
      sum(input_uncached) AS t0, sum(cache_read) AS t1, sum(cache_write) AS t2, sum(output) AS t3,
      coalesce(sum(cost_pusd), 0) AS cost
    FROM usage WHERE ${where} GROUP BY ALL`);
  // Bucket bounds are our constants, not input: safe to inline.
  const bucketSql = LATENCY_BUCKETS.map((le, i) => `count(*) FILTER (WHERE duration_ms <= ${le * 1000}) AS b${i}`).join(', ');
  const latency = await query(`SELECT model, ${bucketSql}, count(duration_ms) AS n, coalesce(sum(duration_ms), 0) AS total_ms FROM usage WHERE duration_ms IS NOT NULL AND (${where}) GROUP BY model`);
  const unpriced = await query(`SELECT model, count(*) AS n FROM usage WHERE NOT priced_on_ingest AND (${where}) GROUP BY model`);
  return {
    cells: cells.map((r) => ({
      labels: [r.user_id, r.tier, r.api_key, r.team, r.model, r.status].map(String),
      requests: Number(r.requests),
      tokens: [Number(r.t0), Number(r.t1), Number(r.t2), Number(r.t3)],
      costPusd: BigInt(r.cost as bigint),
    })),
    latency: latency.map((r) => ({
      model: String(r.model),
      buckets: LATENCY_BUCKETS.map((_, i) => Number(r[`b${i}`])),
      count: Number(r.n),
      sumSeconds: Number(r.total_ms) / 1000,
    })),
    unpriced: unpriced.map((r) => ({ model: String(r.model), requests: Number(r.n) })),
  };
}
