/**
 * Several TokenLedger replicas may share one ledger. Prometheus then holds one copy of every series per replica,
 * told apart only by the target labels of the scrape that tell one replica from another:
 *   - `instance`: every scrape (host:port of the target);
 *   - `pod`: prometheus-operator's ServiceMonitor and PodMonitor, and the usual `kubernetes_sd` relabelling;
 *   - `node`: the Kubernetes node name, which the usual pod relabelling (and some ServiceMonitors) add.
 * Labels that are the same on every replica of one fleet (`job`, `namespace`, `service`, `endpoint`,
 * `container`, `cluster`) are kept: they tell one fleet (or Prometheus setup) from another, which must not be
 * merged, and alerts and dashboards filter on `job`.
 */
export const REPLICA_LABELS = ['instance', 'pod', 'node'] as const;

const WITHOUT_REPLICAS = `without (${REPLICA_LABELS.join(', ')})`;

/**
 * One series per budget from gauges every replica reads from the shared ledger: `max`, because replicas refresh
 * their gauges at slightly different moments and spend only grows within a period, so the highest is the newest.
 */
export function acrossReplicasMax(expr: string): string {
  return `max ${WITHOUT_REPLICAS} (${expr})`;
}

/** The fleet's value of a per-replica quantity (each replica counts only what it stored): the sum over replicas. */
export function acrossReplicasSum(expr: string): string {
  return `sum ${WITHOUT_REPLICAS} (${expr})`;
}
