import { formatPicoUsd } from '../money';

/**
 * What a chargeback query asks and what it answers, whichever engine runs it (the SQL is in sql/usageQueries.ts):
 * dimensions, filters, a caller's scope, totals per group and per time step.
 */

/** What usage can be grouped, filtered and scoped by. */
export const DIMENSIONS = ['user', 'apiKey', 'team', 'tier', 'model'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export const SORT_KEYS = ['cost', 'charge', 'tokens', 'requests'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/** Rows a caller may see: an API token scoped to a team or user. Applied on top of any filter. */
export type Scope = Partial<Record<Dimension, string>>;

export interface RowSelection {
  fromMs: number;
  toMs: number;
  filters: Partial<Record<Dimension, readonly string[]>>;
  scope?: Scope;
}

export interface BreakdownQuery extends RowSelection {
  groupBy: readonly Dimension[];
  sort: SortKey;
  limit: number | undefined;
}

/** Totals for one group. Money is exact pico-USD here; `toReportRow` turns it into decimal strings. */
export interface UsageTotals {
  requests: number;
  failedRequests: number;
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  costPusd: bigint;
  chargePusd: bigint;
  unpricedRequests: number;
  /** The per-call fees inside `costPusd`. */
  feePusd: bigint;
  /** Requests whose log reported no usage: unpriced, their tokens unknown (not 0). */
  unreportedRequests: number;
  /** Reconciliation: requests with both the gateway's reported cost and a price of ours... */
  gatewayRequests: number;
  /** ...the gateway's cost of them... */
  gatewayCostPusd: bigint;
  /** ...and ours. */
  gatewayOursPusd: bigint;
  /** Requests the gateway reported a cost for that the price book did not price. */
  gatewayUnpricedRequests: number;
}

export interface BreakdownRow extends UsageTotals {
  dims: Partial<Record<Dimension, string>>;
}

export function isDimension(name: string): name is Dimension {
  return (DIMENSIONS as readonly string[]).includes(name);
}

/** Totals of no request. */
export const NO_USAGE: Readonly<UsageTotals> = Object.freeze({
  requests: 0,
  failedRequests: 0,
  inputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
  costPusd: 0n,
  chargePusd: 0n,
  unpricedRequests: 0,
  feePusd: 0n,
  unreportedRequests: 0,
  gatewayRequests: 0,
  gatewayCostPusd: 0n,
  gatewayOursPusd: 0n,
  gatewayUnpricedRequests: 0,
});

/** a + b or a - b, field by field. */
function combine(a: UsageTotals, b: UsageTotals, sign: 1 | -1): UsageTotals {
  const out = { ...a };
  for (const k of Object.keys(NO_USAGE) as (keyof UsageTotals)[]) {
    const x = a[k];
    const y = b[k];
    (out as Record<string, number | bigint>)[k] =
      typeof x === 'bigint' ? (sign === 1 ? x + (y as bigint) : x - (y as bigint)) : x + sign * (y as number);
  }
  return out;
}

/** The "everyone else" row: the total less the rows shown. */
export function remainder(total: UsageTotals, shown: readonly UsageTotals[]): UsageTotals {
  return combine(
    total,
    shown.reduce((acc, r) => combine(acc, r, 1), NO_USAGE),
    -1
  );
}

/** The measure a breakdown is sorted by, for shares of the total. */
export function sortMeasure(t: UsageTotals, sort: SortKey): number {
  switch (sort) {
    case 'cost':
      return Number(t.costPusd);
    case 'charge':
      return Number(t.chargePusd);
    case 'tokens':
      return t.inputTokens + t.outputTokens;
    case 'requests':
      return t.requests;
  }
}

export interface SeriesPoint extends UsageTotals {
  timeMs: number;
}

export interface Series {
  dims: Partial<Record<Dimension, string>>;
  points: SeriesPoint[];
}

/** The JSON row shape shared by `tokenledger report --format json` and the chargeback API. */
export function toReportRow(
  t: UsageTotals,
  dims: Partial<Record<Dimension, string>> = {}
): Record<string, string | number> {
  return {
    ...dims,
    requests: t.requests,
    failedRequests: t.failedRequests,
    inputTokens: t.inputTokens,
    cacheReadTokens: t.cacheReadTokens,
    cacheWriteTokens: t.cacheWriteTokens,
    outputTokens: t.outputTokens,
    reasoningTokens: t.reasoningTokens,
    costUsd: formatPicoUsd(t.costPusd),
    chargeUsd: formatPicoUsd(t.chargePusd),
    marginUsd: formatPicoUsd(t.chargePusd - t.costPusd),
    unpricedRequests: t.unpricedRequests,
    feeUsd: formatPicoUsd(t.feePusd),
    unreportedRequests: t.unreportedRequests,
  };
}

/** Whether totals hold anything a reconciliation reports: compared, gateway-only or unreported requests. */
export const hasReconciliation = (t: UsageTotals): boolean =>
  t.gatewayRequests > 0 || t.gatewayUnpricedRequests > 0 || t.unreportedRequests > 0;

/**
 * A reconciliation row (per model and day, or a total): our cost against the gateway's own, over the requests
 * that have both, the difference as ours less the gateway's, and the requests neither side can compare.
 */
export function toReconciliationRow(
  t: UsageTotals,
  fields: Record<string, string> = {}
): Record<string, string | number> {
  const difference = t.gatewayOursPusd - t.gatewayCostPusd;
  return {
    ...fields,
    requests: t.gatewayRequests,
    costUsd: formatPicoUsd(t.gatewayOursPusd),
    gatewayCostUsd: formatPicoUsd(t.gatewayCostPusd),
    differenceUsd: formatPicoUsd(difference),
    // Relative to the gateway's cost; empty when it is 0 (a share of nothing).
    differenceRatio: t.gatewayCostPusd === 0n ? '' : (Number(difference) / Number(t.gatewayCostPusd)).toFixed(6),
    gatewayUnpricedRequests: t.gatewayUnpricedRequests,
    unreportedRequests: t.unreportedRequests,
  };
}
