import { LATENCY_BUCKETS, type MetricTotals, type ModelReconciliation } from '../ledger/metricTotals';

/** Every label a usage series can carry, in tuple order; families expose a configured subset. */
export const USAGE_LABELS = ['user', 'tier', 'api_key', 'team', 'model', 'status'] as const;
export type UsageLabel = (typeof USAGE_LABELS)[number];

/** Request latency buckets, seconds: the ledger sums rows into them (ledger/metricTotals.ts). */
export { LATENCY_BUCKETS };

export interface UsageCell {
  labels: string[];
  requests: number;
  /** Tokens per bucket, in BUCKETS order. */
  tokens: number[];
  costPusd: bigint;
}

export interface LatencyCell {
  /** Cumulative counts per LATENCY_BUCKETS bound. */
  buckets: number[];
  sumSeconds: number;
  count: number;
}

/** What one change added to a cell's totals. */
export interface UsageIncrement {
  requests: number;
  tokens: readonly number[];
  costPusd: bigint;
}

/**
 * Follows the totals as they change, so a view of them (the exposition) is kept up to date by what changed
 * instead of scanning every cell. Cells change only through addTotals and addCost.
 */
export interface UsageListener {
  /** A cell was created, with zero totals. */
  cellCreated(cell: UsageCell): void;
  /** `added` was added to a cell's totals. */
  cellAdded(cell: UsageCell, added: UsageIncrement): void;
  /** A change (one addTotals or addCost) is complete: `version` is new, latency and unpriced may have changed too. */
  changed(): void;
}

const NO_TOKENS: readonly number[] = [0, 0, 0, 0];

/** Joins a cell's labels into its map key (no label contains it). */
const KEY_SEPARATOR = '\u0000';

/**
 * Running totals of everything the ledger holds, kept by the finest label tuple. Fed with the ledger's
 * totals at start, then with what each committed batch added, read at scrape time.
 */
export class UsageAggregate {
  readonly cells = new Map<string, UsageCell>();
  readonly latency = new Map<string, LatencyCell>();
  readonly unpriced = new Map<string, number>();
  /** Per model: requests without reported usage, and the gateway's cost against ours (metricTotals.ts). */
  readonly reconciliation = new Map<string, ModelReconciliation>();
  /** Changes whenever a total does: what was rendered from an earlier version is out of date. */
  version = 0;
  private readonly listeners: UsageListener[] = [];

  /** Tells `listener` of every change: of every cell's creation too, so before the first cell exists. */
  listen(listener: UsageListener): void {
    if (this.cells.size) throw new Error('a listener of the usage aggregate must be added before its first cell');
    this.listeners.push(listener);
  }

  cell(labels: string[]): UsageCell {
    const key = labels.join(KEY_SEPARATOR);
    let c = this.cells.get(key);
    if (!c) {
      c = { labels, requests: 0, tokens: [0, 0, 0, 0], costPusd: 0n };
      this.cells.set(key, c);
      for (const l of this.listeners) l.cellCreated(c);
    }
    return c;
  }

  latencyCell(model: string): LatencyCell {
    let l = this.latency.get(model);
    if (!l) {
      l = { buckets: LATENCY_BUCKETS.map(() => 0), sumSeconds: 0, count: 0 };
      this.latency.set(model, l);
    }
    return l;
  }

  /** Adds totals the ledger summed: all of it at start, then each batch's new rows. */
  addTotals(t: MetricTotals): void {
    this.version++;
    for (const x of t.cells) {
      const c = this.cell(x.labels);
      c.requests += x.requests;
      for (let i = 0; i < c.tokens.length; i++) c.tokens[i]! += x.tokens[i]!;
      c.costPusd += x.costPusd;
      for (const l of this.listeners) l.cellAdded(c, x);
    }
    for (const x of t.latency) {
      const l = this.latencyCell(x.model);
      for (let i = 0; i < l.buckets.length; i++) l.buckets[i]! += x.buckets[i]!;
      l.sumSeconds += x.sumSeconds;
      l.count += x.count;
    }
    for (const x of t.unpriced) this.unpriced.set(x.model, (this.unpriced.get(x.model) ?? 0) + x.requests);
    for (const x of t.reconciliation) {
      const r = this.reconciliation.get(x.model);
      if (!r) {
        this.reconciliation.set(x.model, { ...x });
        continue;
      }
      r.unreportedRequests += x.unreportedRequests;
      r.gatewayRequests += x.gatewayRequests;
      r.gatewayCostPusd += x.gatewayCostPusd;
      r.gatewayOursPusd += x.gatewayOursPusd;
    }
    for (const l of this.listeners) l.changed();
  }

  /** Adds the cost of records priced after they were recorded (re-pricing). */
  addCost(labels: string[], costPusd: bigint): void {
    this.version++;
    const c = this.cell(labels);
    c.costPusd += costPusd;
    for (const l of this.listeners) {
      l.cellAdded(c, { requests: 0, tokens: NO_TOKENS, costPusd });
      l.changed();
    }
  }
}
