/**
 * What a set of usage rows adds to the metrics: per label tuple, per model's latency, and unpriced requests
 * per model. Used to seed the metrics from the ledger at start, and for the rows each batch added.
 */
export interface MetricTotals {
  cells: { labels: string[]; requests: number; tokens: number[]; costPusd: bigint }[];
  latency: { model: string; buckets: number[]; count: number; sumSeconds: number }[];
  unpriced: { model: string; requests: number }[];
  /**
   * Per model: requests that reported no usage, and reconciliation (the gateway's own cost and ours, over the
   * requests that have both). Only models with any of them.
   */
  reconciliation: ModelReconciliation[];
}

export interface ModelReconciliation {
  model: string;
  unreportedRequests: number;
  gatewayRequests: number;
  gatewayCostPusd: bigint;
  gatewayOursPusd: bigint;
}

/** Latency histogram bounds, seconds: the ledger sums rows into them, the metrics expose them. */
export const LATENCY_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export const NO_METRIC_TOTALS: MetricTotals = { cells: [], latency: [], unpriced: [], reconciliation: [] };
