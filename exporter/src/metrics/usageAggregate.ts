import { apiKeyLabel } from '../ledger/keys';
import { UNKNOWN } from '../ledger/schema';
import type { UsageTotals } from '../ledger/usageTotals';
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

  /** `key` is `labels.join(KEY_SEPARATOR)`; a caller on the per-line path builds it without the array. */
  cell(labels: string[], key = labels.join(KEY_SEPARATOR)): UsageCell {
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

  /** Counts one record. Runs per line: no array unless the cell is new, the buckets spelled out. */
  addRecord(r: PricedRecord): void {
    const user = r.user ?? UNKNOWN;
    const tier = r.tier ?? UNKNOWN;
    const apiKey = apiKeyLabel(r);
    const team = r.team ?? UNKNOWN;
    const S = KEY_SEPARATOR;
    const key = `${user}${S}${tier}${S}${apiKey}${S}${team}${S}${r.model}${S}${r.status}`;
    const c = this.cells.get(key) ?? this.cell([user, tier, apiKey, team, r.model, r.status], key);
    c.requests++;
    const t = r.tokens;
    const sums = c.tokens; // in BUCKETS order
    sums[0]! += t.inputUncached;
    sums[1]! += t.cacheRead;
    sums[2]! += t.cacheWrite;
    sums[3]! += t.output;
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

  /** The totals, in the form the ledger sums them (to add one aggregate to another). */
  toTotals(): UsageTotals {
    return {
      cells: [...this.cells.values()],
      latency: [...this.latency].map(([model, l]) => ({ model, ...l })),
      unpriced: [...this.unpriced].map(([model, requests]) => ({ model, requests })),
    };
  }

  /** Adds totals: the ledger's (at start, or of a batch's rows that landed) or another aggregate's. */
  addTotals(t: UsageTotals): void {
    for (const x of t.cells) {
      const c = this.cell(x.labels);
      c.requests += x.requests;
      for (let i = 0; i < c.tokens.length; i++) c.tokens[i]! += x.tokens[i]!;
      c.costPusd += x.costPusd;
    }
    for (const x of t.latency) {
      const l = this.latencyCell(x.model);
      for (let i = 0; i < l.buckets.length; i++) l.buckets[i]! += x.buckets[i]!;
      l.sumSeconds += x.sumSeconds;
      l.count += x.count;
    }
    for (const x of t.unpriced) this.unpriced.set(x.model, (this.unpriced.get(x.model) ?? 0) + x.requests);
  }
}
