import { BUCKETS } from '../pricing/priceBook';
import { UNKNOWN } from '../ledger/schema';
import { apiKeyLabel } from '../ledger/keys';
import type { PricedRecord } from '../types';

/** Every label a usage series can carry, in tuple order; families expose a configured subset. */
export const USAGE_LABELS = ['user', 'tier', 'api_key', 'team', 'model', 'status'] as const;
export type UsageLabel = (typeof USAGE_LABELS)[number];

/** Request latency buckets, seconds. */
export const LATENCY_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

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

/**
 * Running totals of everything the ledger holds, kept by the finest label tuple. Fed with the records each
 * committed batch added (and, at start, with the ledger's totals), read at scrape time.
 */
export class UsageAggregate {
  readonly cells = new Map<string, UsageCell>();
  readonly latency = new Map<string, LatencyCell>();
  readonly unpriced = new Map<string, number>();

  cell(labels: string[]): UsageCell {
    const key = labels.join('\u0000');
    let c = this.cells.get(key);
    if (!c) {
      c = { labels, requests: 0, tokens: [0, 0, 0, 0], costPusd: 0n };
      this.cells.set(key, c);
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

  addRecord(r: PricedRecord): void {
    const c = this.cell([r.user ?? UNKNOWN, r.tier ?? UNKNOWN, apiKeyLabel(r), r.team ?? UNKNOWN, r.model, r.status]);
    c.requests++;
    for (let i = 0; i < BUCKETS.length; i++) c.tokens[i]! += r.tokens[BUCKETS[i]!];
    if (r.costPusd !== undefined) c.costPusd += r.costPusd;
    else this.unpriced.set(r.model, (this.unpriced.get(r.model) ?? 0) + 1);
    if (r.durationMs !== undefined) {
      const l = this.latencyCell(r.model);
      const seconds = r.durationMs / 1000;
      for (let i = 0; i < LATENCY_BUCKETS.length; i++) if (seconds <= LATENCY_BUCKETS[i]!) l.buckets[i]!++;
      l.sumSeconds += seconds;
      l.count++;
    }
  }
}
