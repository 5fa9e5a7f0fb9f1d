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
}

export interface BreakdownRow extends UsageTotals {
  dims: Partial<Record<Dimension, string>>;
}

export function isDimension(name: string): name is Dimension {
  return (DIMENSIONS as readonly string[]).includes(name);
}

const ZERO: UsageTotals = {
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
};

/** a + b or a - b, field by field. */
function combine(a: UsageTotals, b: UsageTotals, sign: 1 | -1): UsageTotals {
  const out = { ...a };
  for (const k of Object.keys(ZERO) as (keyof UsageTotals)[]) {
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
    shown.reduce((acc, r) => combine(acc, r, 1), ZERO),
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
  };
}
