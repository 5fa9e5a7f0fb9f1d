import type { Metric, Registry } from 'prom-client';

/** One sample as prom-client's formatter takes it. */
export interface Sample {
  labels: Record<string, string | number>;
  value: number;
  /** For histogram parts: name_bucket, name_sum, name_count. */
  metricName?: string;
}

/**
 * A metric whose samples are computed at scrape time from our own aggregates. prom-client's registry only
 * needs `name`, `help`, `type` and `get()`; going through it keeps its exposition formatting and escaping,
 * while the ingest path never calls prom-client per line.
 */
export class SnapshotMetric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge' | 'histogram',
    private readonly collect: () => Sample[] | Promise<Sample[]>
  ) {}

  async get(): Promise<{ name: string; help: string; type: string; values: Sample[]; aggregator: string }> {
    return { name: this.name, help: this.help, type: this.type, values: await this.collect(), aggregator: 'sum' };
  }

  registerIn(registry: Registry): void {
    // The registry's TypeScript signature wants prom-client's own Metric class; at runtime it only calls
    // get() and reads name/type (see prom-client lib/registry.js getMetricsAsString), which we provide.
    registry.registerMetric(this as unknown as Metric);
  }
}
