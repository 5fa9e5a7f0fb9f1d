import type { DuckDBValue } from '@duckdb/node-api';
import { DuckDBTimestampValue } from '@duckdb/node-api';
import { formatPicoUsd } from '../pricing/money';
import type { Ledger } from './ledger';

/**
 * Chargeback queries over the ledger. Dimension and sort names are checked against fixed lists before
 * they shape SQL; every value the caller sends is a bound parameter.
 */

export const DIMENSION_COLUMNS = {
  user: 'user_id',
  apiKey: 'api_key',
  team: 'team',
  tier: 'tier',
  model: 'model',
} as const;
export type Dimension = keyof typeof DIMENSION_COLUMNS;
export const DIMENSIONS = Object.keys(DIMENSION_COLUMNS) as Dimension[];

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
  return Object.prototype.hasOwnProperty.call(DIMENSION_COLUMNS, name);
}

const MEASURES = `
  count(*) AS requests,
  count(*) FILTER (WHERE status = 'failure') AS failed_requests,
  coalesce(sum(input_uncached + cache_read + cache_write), 0) AS input_tokens,
  coalesce(sum(cache_read), 0) AS cache_read_tokens,
  coalesce(sum(cache_write), 0) AS cache_write_tokens,
  coalesce(sum(output), 0) AS output_tokens,
  coalesce(sum(reasoning), 0) AS reasoning_tokens,
  coalesce(sum(cost_pusd), 0) AS cost_pusd,
  coalesce(sum(charge_pusd), 0) AS charge_pusd,
  count(*) FILTER (WHERE cost_pusd IS NULL) AS unpriced_requests`;

const SORT_SQL: Record<SortKey, string> = {
  cost: 'cost_pusd DESC',
  charge: 'charge_pusd DESC',
  tokens: '(input_tokens + output_tokens) DESC',
  requests: 'requests DESC',
};

export function timestampParam(ms: number): DuckDBTimestampValue {
  return new DuckDBTimestampValue(BigInt(Math.round(ms)) * 1000n);
}

/**
 * WHERE clause for a time range, dimension filters and a scope, with its bound parameters. The scope is
 * ANDed on its own, so no filter can widen what a scoped caller sees.
 */
export function whereClause(q: RowSelection): { sql: string; params: DuckDBValue[] } {
  const params: DuckDBValue[] = [timestampParam(q.fromMs), timestampParam(q.toMs)];
  const parts = ['start_time >= $1', 'start_time < $2'];
  const bind = (v: string): string => {
    params.push(v);
    return `$${params.length}`;
  };
  for (const dim of DIMENSIONS) {
    const values = q.filters[dim];
    if (values && values.length) parts.push(`${DIMENSION_COLUMNS[dim]} IN (${values.map(bind).join(', ')})`);
    const scoped = q.scope?.[dim];
    if (scoped !== undefined) parts.push(`${DIMENSION_COLUMNS[dim]} = ${bind(scoped)}`);
  }
  return { sql: parts.join(' AND '), params };
}

export function readTotals(r: Record<string, unknown>): UsageTotals {
  return {
    requests: Number(r.requests),
    failedRequests: Number(r.failed_requests),
    inputTokens: Number(r.input_tokens),
    cacheReadTokens: Number(r.cache_read_tokens),
    cacheWriteTokens: Number(r.cache_write_tokens),
    outputTokens: Number(r.output_tokens),
    reasoningTokens: Number(r.reasoning_tokens),
    costPusd: BigInt(r.cost_pusd as bigint),
    chargePusd: BigInt(r.charge_pusd as bigint),
    unpricedRequests: Number(r.unpriced_requests),
  };
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

/**
 * Totals per group and the overall total in one scan (GROUPING SETS): the total row is the one whose
 * `is_total` is 1. Sorting and the limit apply to the groups only.
 */
export async function breakdown(
  ledger: Ledger,
  q: BreakdownQuery
): Promise<{ rows: BreakdownRow[]; total: UsageTotals }> {
  const where = whereClause(q);
  if (q.groupBy.length === 0) {
    const only = (await ledger.rows(`SELECT ${MEASURES} FROM usage WHERE ${where.sql}`, where.params))[0]!;
    return { rows: [], total: readTotals(only) };
  }
  const dims = q.groupBy.map((d) => `"${d}"`).join(', ');
  const dimSql = q.groupBy.map((d) => `${DIMENSION_COLUMNS[d]} AS "${d}"`).join(', ');
  const order = [SORT_SQL[q.sort], ...q.groupBy.map((d) => `"${d}" ASC`)].join(', ');
  const limit = q.limit !== undefined ? `LIMIT ${Math.trunc(q.limit)}` : '';
  const rows = await ledger.rows(
    `WITH g AS (
       SELECT ${dimSql}, GROUPING(${dims}) > 0 AS is_total, ${MEASURES}
       FROM usage WHERE ${where.sql} GROUP BY GROUPING SETS ((${dims}), ()))
     (SELECT * FROM g WHERE NOT is_total ORDER BY ${order} ${limit})
     UNION ALL
     (SELECT * FROM g WHERE is_total)`,
    where.params
  );
  const totalRow = rows.pop()!;
  return {
    rows: rows.map((r) => ({ dims: Object.fromEntries(q.groupBy.map((d) => [d, String(r[d])])), ...readTotals(r) })),
    total: readTotals(totalRow),
  };
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

/** Totals per step, buckets aligned to multiples of the step since the Unix epoch (UTC), per group. */
export async function timeSeries(
  ledger: Ledger,
  q: RowSelection & { groupBy: readonly Dimension[]; stepSeconds: number }
): Promise<Series[]> {
  const where = whereClause(q);
  // Integer arithmetic on epoch milliseconds: the same UTC-aligned buckets as time_bucket, cheaper per row.
  const stepMs = Math.trunc(q.stepSeconds) * 1000;
  const bucket = `(epoch_ms(start_time) // ${stepMs}) * ${stepMs}`;
  const dimSql = q.groupBy.map((d) => `${DIMENSION_COLUMNS[d]} AS "${d}"`);
  const group = [...q.groupBy.map((d) => `"${d}"`), 'bucket'].join(', ');
  const rows = await ledger.rows(
    `SELECT ${[...dimSql, `${bucket} AS bucket`, MEASURES].join(', ')} FROM usage WHERE ${where.sql} GROUP BY ${group} ORDER BY ${group}`,
    where.params
  );
  const series = new Map<string, Series>();
  for (const r of rows) {
    const dims = Object.fromEntries(q.groupBy.map((d) => [d, String(r[d])]));
    const key = JSON.stringify(dims);
    let s = series.get(key);
    if (!s) {
      s = { dims, points: [] };
      series.set(key, s);
    }
    s.points.push({ timeMs: Number(r.bucket), ...readTotals(r) });
  }
  return [...series.values()];
}

/** The values of one dimension seen in a range (optionally filtered), sorted: for template variables. */
export async function dimensionValues(ledger: Ledger, dimension: Dimension, q: RowSelection): Promise<string[]> {
  const where = whereClause(q);
  const col = DIMENSION_COLUMNS[dimension];
  const rows = await ledger.rows(`SELECT DISTINCT ${col} AS v FROM usage WHERE ${where.sql} ORDER BY v`, where.params);
  return rows.map((r) => String(r.v));
}

/** What the ledger holds, for health checks: record count and the span of request start times. */
export async function ledgerSpan(
  ledger: Ledger
): Promise<{ records: number; firstMs: number | undefined; lastMs: number | undefined }> {
  const r = (
    await ledger.rows(
      'SELECT count(*) AS n, epoch_ms(min(start_time)) AS first, epoch_ms(max(start_time)) AS last FROM usage'
    )
  )[0]!;
  return {
    records: Number(r.n),
    firstMs: r.first === null ? undefined : Number(r.first),
    lastMs: r.last === null ? undefined : Number(r.last),
  };
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
