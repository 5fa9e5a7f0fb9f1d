import type { DuckDBValue } from '@duckdb/node-api';
import { DuckDBTimestampValue } from '@duckdb/node-api';
import { formatPicoUsd } from '../pricing/money';
import type { Ledger } from './ledger';

/**
 * Chargeback queries over the ledger. Dimension and sort names are checked against fixed lists before
 * they shape SQL; every value the caller sends is a bound parameter.
 */

export const DIMENSION_COLUMNS = { user: 'user_id', apiKey: 'api_key', team: 'team', tier: 'tier', model: 'model' } as const;
export type Dimension = keyof typeof DIMENSION_COLUMNS;
export const DIMENSIONS = Object.keys(DIMENSION_COLUMNS) as Dimension[];

export const SORT_KEYS = ['cost', 'charge', 'tokens', 'requests'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface BreakdownQuery {
  fromMs: number;
  toMs: number;
  groupBy: readonly Dimension[];
  filters: Partial<Record<Dimension, readonly string[]>>;
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

/** WHERE clause for a time range and dimension filters, with its bound parameters. */
export function whereClause(q: Pick<BreakdownQuery, 'fromMs' | 'toMs' | 'filters'>): { sql: string; params: DuckDBValue[] } {
  const params: DuckDBValue[] = [timestampParam(q.fromMs), timestampParam(q.toMs)];
  const parts = ['start_time >= $1', 'start_time < $2'];
  for (const dim of DIMENSIONS) {
    const values = q.filters[dim];
    if (!values || values.length === 0) continue;
    const placeholders = values.map((v) => {
      params.push(v);
      return `$${params.length}`;
    });
    parts.push(`${DIMENSION_COLUMNS[dim]} IN (${placeholders.join(', ')})`);
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

export async function breakdown(ledger: Ledger, q: BreakdownQuery): Promise<{ rows: BreakdownRow[]; total: UsageTotals }> {
  const where = whereClause(q);
  const dimSql = q.groupBy.map((d) => `${DIMENSION_COLUMNS[d]} AS "${d}"`);
  const groupSql = q.groupBy.length ? `GROUP BY ${q.groupBy.map((d) => `"${d}"`).join(', ')}` : '';
  const order = [SORT_SQL[q.sort], ...q.groupBy.map((d) => `"${d}" ASC`)].join(', ');
  const limit = q.limit !== undefined ? `LIMIT ${Math.trunc(q.limit)}` : '';
  const rows = await ledger.rows(`SELECT ${[...dimSql, MEASURES].join(',')} FROM usage WHERE ${where.sql} ${groupSql} ORDER BY ${order} ${limit}`, where.params);
  const totalRow = (await ledger.rows(`SELECT ${MEASURES} FROM usage WHERE ${where.sql}`, where.params))[0]!;
  return {
    rows: rows.map((r) => ({ dims: Object.fromEntries(q.groupBy.map((d) => [d, String(r[d])])), ...readTotals(r) })),
    total: readTotals(totalRow),
  };
}

/** The JSON row shape shared by `tokenledger report --format json` and the chargeback API. */
export function toReportRow(t: UsageTotals, dims: Partial<Record<Dimension, string>> = {}): Record<string, string | number> {
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
    unpricedRequests: t.unpricedRequests,
  };
}
