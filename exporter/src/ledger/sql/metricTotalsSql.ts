import { LATENCY_BUCKETS, MetricTotals } from '../metricTotals';
import { ROW_MEASURES } from '../schema';

/** A result's columns by name: far cheaper to convert than row objects, per batch. */
type Columns = Record<string, unknown[]>;

/**
 * The two queries that sum a table of usage rows (SQL both engines run): per label tuple, and per model
 * (latency histogram and unpriced requests). `table` is `usage` itself or a batch's new rows: a name of ours,
 * never input. `where` narrows it (to one node's rows), with its parameters bound by the caller.
 * Label tuples come in the order they first reached the ledger (by batch, then by their labels): the order in
 * which the series cap admits them (seriesLimiter.ts), the same whether the metrics were seeded from the whole
 * ledger at start or fed batch by batch, so a restart admits the same series.
 */
export function metricTotalsQueries(table: string, where = 'TRUE'): { cells: string; byModel: string } {
  // Bucket bounds are our constants, not input: safe to inline.
  const buckets = LATENCY_BUCKETS.map((le, i) => `count(*) FILTER (WHERE duration_ms <= ${le * 1000}) AS b${i}`).join(
    ', '
  );
  return {
    cells: `SELECT user_id, tier, api_key, team, model, status, count(*) AS requests,
        sum(input_uncached)::BIGINT AS t0, sum(cache_read)::BIGINT AS t1, sum(cache_write + cache_write_1h)::BIGINT AS t2, sum(output)::BIGINT AS t3,
        coalesce(sum(cost_pusd), 0) AS cost, min(ingest_batch) AS first_batch
      FROM ${table} WHERE ${where} GROUP BY user_id, tier, api_key, team, model, status
      ORDER BY first_batch, user_id, tier, api_key, team, model, status`,
    byModel: `SELECT model, count(*) FILTER (WHERE NOT priced_on_ingest) AS unpriced,
        ${buckets}, count(duration_ms) AS n, coalesce(sum(duration_ms), 0) AS total_ms,
        ${RECONCILIATION_SUMS.map(([name, measure]) => `coalesce(sum(${ROW_MEASURES[measure]}), 0) AS ${name}`).join(', ')}
      FROM ${table} WHERE ${where} GROUP BY model ORDER BY model`,
  };
}

/** The per-model reconciliation columns of `byModel`, and the rollup measure each sums. */
export const RECONCILIATION_SUMS = [
  ['unreported', 'unreported_requests'],
  ['gw_requests', 'gateway_requests'],
  ['gw_cost', 'gateway_cost_pusd'],
  ['gw_ours', 'gateway_ours_pusd'],
] as const;

/** The totals from the columns of the two queries' results. */
export function metricTotalsFrom(cells: Columns, byModel: Columns): MetricTotals {
  const str = (from: Columns, name: string, i: number) => String(from[name]![i]);
  const num = (from: Columns, name: string, i: number) => Number(from[name]![i]);
  const models = (byModel.model ?? []).map((_, i) => i);
  return {
    cells: (cells.user_id ?? []).map((_, i) => ({
      labels: ['user_id', 'tier', 'api_key', 'team', 'model', 'status'].map((name) => str(cells, name, i)),
      requests: num(cells, 'requests', i),
      tokens: ['t0', 't1', 't2', 't3'].map((name) => num(cells, name, i)),
      costPusd: BigInt(cells.cost![i] as bigint | string),
    })),
    latency: models
      .filter((i) => num(byModel, 'n', i) > 0)
      .map((i) => ({
        model: str(byModel, 'model', i),
        buckets: LATENCY_BUCKETS.map((__, b) => num(byModel, `b${b}`, i)),
        count: num(byModel, 'n', i),
        sumSeconds: num(byModel, 'total_ms', i) / 1000,
      })),
    unpriced: models
      .filter((i) => num(byModel, 'unpriced', i) > 0)
      .map((i) => ({ model: str(byModel, 'model', i), requests: num(byModel, 'unpriced', i) })),
    reconciliation: models
      .filter((i) => num(byModel, 'unreported', i) > 0 || num(byModel, 'gw_requests', i) > 0)
      .map((i) => ({
        model: str(byModel, 'model', i),
        unreportedRequests: num(byModel, 'unreported', i),
        gatewayRequests: num(byModel, 'gw_requests', i),
        gatewayCostPusd: BigInt(byModel.gw_cost![i] as bigint | string),
        gatewayOursPusd: BigInt(byModel.gw_ours![i] as bigint | string),
      })),
  };
}
