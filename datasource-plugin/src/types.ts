import type { DataSourceJsonData } from '@grafana/data';
import type { DataQuery } from '@grafana/schema';

/** The dimensions the chargeback API groups and filters by. */
export const DIMENSIONS = ['user', 'apiKey', 'team', 'tier', 'model'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export type Filters = Partial<Record<Dimension, string[]>>;

export const QUERY_TYPES = ['breakdown', 'topN', 'timeseries', 'budgets', 'budgetCrossings'] as const;
export type QueryType = (typeof QUERY_TYPES)[number];

/** What a query measures; `all` (breakdown table only) returns every column. */
export const MEASURES = ['cost', 'charge', 'tokens', 'requests', 'all'] as const;
export type Measure = (typeof MEASURES)[number];

/** The API's `sort` values. */
export const SORT_KEYS = ['cost', 'charge', 'tokens', 'requests'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface ChargebackQuery extends DataQuery {
  queryType?: QueryType;
  measure?: Measure;
  groupBy?: Dimension[];
  /** Values may hold template variables (`$user`); see interpolate.ts. */
  filters?: Filters;
  /** Top N only. */
  limit?: number;
  /** Top N only: add an "Everyone else" row for what the limit cut. */
  other?: boolean;
  sort?: SortKey;
}

export const DEFAULT_QUERY: Partial<ChargebackQuery> = {
  queryType: 'breakdown',
  measure: 'all',
  groupBy: ['user'],
  sort: 'cost',
  limit: 10,
  other: true,
};

/** A template variable query: the values of one dimension, optionally filtered. */
export interface VariableQuery extends DataQuery {
  dimension: Dimension;
  filters?: Filters;
}

export interface ChargebackOptions extends DataSourceJsonData {
  /** The exporter's base URL, e.g. http://tokenledger:9464; used by the plugin.json route only. */
  url?: string;
}

/** Kept by Grafana, never sent to the browser; injected by the plugin.json route. */
export interface ChargebackSecureOptions {
  apiToken?: string;
}

/** The numeric columns of a breakdown row, a total and a time series point. */
export interface Measures {
  requests: number;
  failedRequests: number;
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  outputTokens: number;
  reasoningTokens: number;
  /** Exact decimal strings in USD (12 decimals). */
  costUsd: string;
  chargeUsd: string;
  marginUsd: string;
  unpricedRequests: number;
  /** The per-call fees (web search, file search, code interpreter, maps grounding) inside costUsd. */
  feeUsd: string;
  /** Requests whose log reported no usage: unpriced, their tokens unknown. */
  unreportedRequests: number;
}
export type MeasureName = keyof Measures;

export type BreakdownRow = Measures & Partial<Record<Dimension, string>> & { share: number };

export interface BreakdownResponse {
  groupBy: Dimension[];
  rows: BreakdownRow[];
  total: Measures;
}

export interface TimeSeriesPoint extends Measures {
  time: string;
}

export type Series = Partial<Record<Dimension, string>> & { points: TimeSeriesPoint[] };

export interface TimeSeriesResponse {
  stepSeconds: number;
  series: Series[];
}

export interface DimensionValuesResponse {
  dimension: Dimension;
  values: string[];
}

export type BudgetScope = Dimension | 'global';

export interface Budget {
  scope: BudgetScope;
  subject: string;
  period: string;
  periodStart: string;
  periodEnd: string;
  limitUsd: string;
  spentUsd: string;
  projectedUsd: string;
  utilisation: number | null;
  thresholds: { warning: number; critical: number; exceeded: number };
  state: 'ok' | 'warning' | 'critical' | 'exceeded';
}

export interface BudgetsResponse {
  budgets: Budget[];
}

export interface StatusResponse {
  status: string;
  records: number;
  firstRecord: string | null;
  lastRecord: string | null;
}

/** The error body of every 4xx the API returns. */
export interface ApiErrorBody {
  error: string;
  parameter?: string;
}

/** A dashboard time range in epoch milliseconds, `[fromMs, toMs)`. */
export interface RangeMs {
  fromMs: number;
  toMs: number;
}

export type ThresholdName = keyof Budget['thresholds'];

export interface Crossing {
  /** Start of the time series bucket in which the cumulative cost reached the threshold. */
  timeMs: number;
  budget: Budget;
  threshold: ThresholdName;
  title: string;
  text: string;
}
