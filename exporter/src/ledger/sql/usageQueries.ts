import type { LedgerSpan, SpendWindow } from '../ledger';
import {
  BreakdownQuery,
  BreakdownRow,
  Dimension,
  DIMENSIONS,
  RowSelection,
  Series,
  SortKey,
  UsageTotals,
} from '../queries';
import { levelsFor, RangePart, rangeParts } from '../rollups';
import { DIMENSION_COLUMNS, HOUR_MS, ROLLUP_MEASURES, ROW_MEASURES } from '../schema';

/**
 * The chargeback queries, as SQL both engines run: what DuckDB and PostgreSQL both speak (FILTER, `$n`
 * parameters, integer `%`), with the one difference, a timestamp's epoch milliseconds, asked of
 * the engine's `SqlDialect`. Whole operations: an engine runs the statement and hands the rows to the
 * matching reader here. Dimension and sort names are checked against fixed lists before they shape SQL;
 * every value a caller sends is a bound parameter.
 *
 * Every query reads the coarsest rollup level (rollups.ts) its grouping and filters allow for the whole days
 * or hours of its range and `usage` itself only for the partial hours at its ends, so a 30-day breakdown sums
 * at most 30 rows per group instead of every request.
 */

/** A bound parameter: a text, a number, or a time, which each engine binds in its own type. */
export type SqlValue = string | number | bigint | boolean | SqlTime;

export class SqlTime {
  constructor(readonly ms: number) {}
}

export interface SqlDialect {
  /** The epoch milliseconds of a timestamp expression, as a BIGINT. */
  epochMs(expr: string): string;
  /**
   * The table or view of usage rows with every column of schema.ts's USAGE_COLUMNS (`usage` itself holds only
   * some of them in DuckDB): what a query that sums rows reads.
   */
  usageRows: string;
}

export interface Statement {
  sql: string;
  params: SqlValue[];
}

type Row = Record<string, unknown>;

class Params {
  readonly values: SqlValue[] = [];
  bind(v: SqlValue): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

/** The dimension filters and scope of a selection. The scope is ANDed on its own, so no filter can widen it. */
function dimensionFilter(q: RowSelection, p: Params): string[] {
  const parts: string[] = [];
  for (const dim of DIMENSIONS) {
    const values = q.filters[dim];
    if (values && values.length)
      parts.push(`${DIMENSION_COLUMNS[dim]} IN (${values.map((v) => p.bind(v)).join(', ')})`);
    const scoped = q.scope?.[dim];
    if (scoped !== undefined) parts.push(`${DIMENSION_COLUMNS[dim]} = ${p.bind(scoped)}`);
  }
  return parts;
}

/** WHERE over `usage` rows alone: a time range, dimension filters and a scope. */
export function rowWhere(q: RowSelection, p: Params): string {
  return [
    `start_time >= ${p.bind(new SqlTime(q.fromMs))}`,
    `start_time < ${p.bind(new SqlTime(q.toMs))}`,
    ...dimensionFilter(q, p),
  ].join(' AND ');
}

/** The dimensions a selection filters or is scoped by: a level must hold them to answer it. */
function filteredDimensions(q: RowSelection): Dimension[] {
  return DIMENSIONS.filter((dim) => (q.filters[dim]?.length ?? 0) > 0 || q.scope?.[dim] !== undefined);
}

/**
 * The rows of a selection as facts of one shape (the columns of `dims`, time `t`, ROLLUP_MEASURES): for each
 * part of its range, the rows of the coarsest rollup level that holds every dimension it groups (`dims`),
 * filters or is scoped by, and whose grain divides `stepMs` (a series' step, if any); `usage` rows for the
 * parts no level covers whole (rollups.ts: rangeParts).
 */
function facts(q: RowSelection, p: Params, d: SqlDialect, dims: readonly Dimension[], stepMs?: number): string {
  const columns = [...new Set(dims)].map((d) => DIMENSION_COLUMNS[d]);
  const levels = levelsFor([...dims, ...filteredDimensions(q)], stepMs);
  const rowMeasures = ROLLUP_MEASURES.map((m) => `${ROW_MEASURES[m]} AS ${m}`);
  const part = ({ fromMs, toMs, level }: RangePart): string => {
    if (!level)
      return `SELECT ${[...columns, 'start_time AS t', ...rowMeasures].join(', ')} FROM ${d.usageRows} WHERE ${rowWhere({ ...q, fromMs, toMs }, p)}`;
    const where = [
      `${level.time} >= ${p.bind(new SqlTime(fromMs))}`,
      `${level.time} < ${p.bind(new SqlTime(toMs))}`,
      ...dimensionFilter(q, p),
    ].join(' AND ');
    return `SELECT ${[...columns, `${level.time} AS t`, ...ROLLUP_MEASURES].join(', ')} FROM ${level.table} WHERE ${where}`;
  };
  const parts = rangeParts(q.fromMs, q.toMs, levels);
  // An empty range still needs a statement of the facts' shape: it reads no row.
  return (parts.length ? parts : [{ fromMs: q.fromMs, toMs: q.toMs, level: undefined }])
    .map(part)
    .join('\nUNION ALL\n');
}

/** Each measure an answer has, and the facts' expression it sums. */
const MEASURE_SUMS: Record<string, string> = {
  requests: 'requests',
  failed_requests: 'failed_requests',
  input_tokens: 'input_uncached + cache_read + cache_write + cache_write_1h',
  cache_read_tokens: 'cache_read',
  cache_write_tokens: 'cache_write + cache_write_1h',
  output_tokens: 'output',
  reasoning_tokens: 'reasoning',
  cost_pusd: 'cost_pusd',
  charge_pusd: 'charge_pusd',
  unpriced_requests: 'unpriced_requests',
  fee_pusd: 'fee_pusd',
  unreported_requests: 'unreported_requests',
  gateway_requests: 'gateway_requests',
  gateway_cost_pusd: 'gateway_cost_pusd',
  gateway_ours_pusd: 'gateway_ours_pusd',
  gateway_unpriced_requests: 'gateway_unpriced_requests',
};

const MEASURES = Object.entries(MEASURE_SUMS)
  .map(([name, sum]) => `coalesce(sum(${sum}), 0) AS ${name}`)
  .join(',\n  ');

/** The overall total of groups that MEASURES summed: the sum of each measure over the groups. */
const TOTAL_OF_GROUPS = Object.keys(MEASURE_SUMS)
  .map((name) => `coalesce(sum(${name}), 0) AS ${name}`)
  .join(', ');

const SORT_SQL: Record<SortKey, string> = {
  cost: 'cost_pusd DESC',
  charge: 'charge_pusd DESC',
  tokens: '(input_tokens + output_tokens) DESC',
  requests: 'requests DESC',
};

/** Engines hand sums back as bigint (DuckDB), numeric text (PostgreSQL) or number: all exact here. */
export function readTotals(r: Row): UsageTotals {
  return {
    requests: Number(r.requests),
    failedRequests: Number(r.failed_requests),
    inputTokens: Number(r.input_tokens),
    cacheReadTokens: Number(r.cache_read_tokens),
    cacheWriteTokens: Number(r.cache_write_tokens),
    outputTokens: Number(r.output_tokens),
    reasoningTokens: Number(r.reasoning_tokens),
    costPusd: BigInt(r.cost_pusd as bigint | string),
    chargePusd: BigInt(r.charge_pusd as bigint | string),
    unpricedRequests: Number(r.unpriced_requests),
    feePusd: BigInt(r.fee_pusd as bigint | string),
    unreportedRequests: Number(r.unreported_requests),
    gatewayRequests: Number(r.gateway_requests),
    gatewayCostPusd: BigInt(r.gateway_cost_pusd as bigint | string),
    gatewayOursPusd: BigInt(r.gateway_ours_pusd as bigint | string),
    gatewayUnpricedRequests: Number(r.gateway_unpriced_requests),
  };
}

const dimsOf = (groupBy: readonly Dimension[], r: Row) => Object.fromEntries(groupBy.map((d) => [d, String(r[d])]));

/**
 * Totals per group, then the overall total as their sum (the last row). Sorting and the limit apply to the
 * groups only. A plain GROUP BY, not GROUPING SETS with the total: PostgreSQL aggregates it in parallel
 * (never GROUPING SETS), which roughly halved a 30-day breakdown over two million rollup rows.
 */
export function breakdownStatement(q: BreakdownQuery, d: SqlDialect): Statement {
  const p = new Params();
  const from = facts(q, p, d, q.groupBy);
  if (q.groupBy.length === 0) return { sql: `SELECT ${MEASURES} FROM (${from}) f`, params: p.values };
  const dims = q.groupBy.map((d) => DIMENSION_COLUMNS[d]).join(', ');
  const dimSql = q.groupBy.map((d) => `${DIMENSION_COLUMNS[d]} AS "${d}"`).join(', ');
  const order = [SORT_SQL[q.sort], ...q.groupBy.map((d) => `"${d}" ASC`)].join(', ');
  const limit = q.limit !== undefined ? `LIMIT ${Math.trunc(q.limit)}` : '';
  const sql = `WITH g AS (SELECT ${dimSql}, ${MEASURES} FROM (${from}) f GROUP BY ${dims})
     (SELECT * FROM g ORDER BY ${order} ${limit})
     UNION ALL
     (SELECT ${q.groupBy.map(() => 'NULL').join(', ')}, ${TOTAL_OF_GROUPS} FROM g)`;
  return { sql, params: p.values };
}

export function readBreakdown(q: BreakdownQuery, rows: Row[]): { rows: BreakdownRow[]; total: UsageTotals } {
  if (q.groupBy.length === 0) return { rows: [], total: readTotals(rows[0]!) };
  const totalRow = rows.pop()!;
  return {
    rows: rows.map((r) => ({ dims: dimsOf(q.groupBy, r), ...readTotals(r) })),
    total: readTotals(totalRow),
  };
}

export type SeriesQuery = RowSelection & { groupBy: readonly Dimension[]; stepSeconds: number };

/**
 * Totals per step (buckets aligned to multiples of the step since the epoch) and group, ordered. When the
 * facts are hourly, they are summed per hour first: the bucket arithmetic then runs on one row per hour and
 * group instead of on every rollup row (a third of a 30-day hourly series on PostgreSQL, where it is numeric).
 */
export function timeSeriesStatement(q: SeriesQuery, d: SqlDialect): Statement {
  const p = new Params();
  const stepMs = Math.trunc(q.stepSeconds) * 1000;
  // Times are never before 1970, so `ms - ms % step` is the bucket's start in integer arithmetic on either engine.
  const epoch = d.epochMs('t');
  const bucket = `(${epoch} - ${epoch} % ${stepMs})`;
  const dimSql = q.groupBy.map((dim) => `${DIMENSION_COLUMNS[dim]} AS "${dim}"`);
  const group = [...q.groupBy.map((dim) => `"${dim}"`), 'bucket'].join(', ');
  let from = facts(q, p, d, q.groupBy, stepMs);
  if (stepMs % HOUR_MS === 0) {
    const perHour = [...q.groupBy.map((dim) => DIMENSION_COLUMNS[dim]), 't'].join(', ');
    from = `SELECT ${perHour}, ${ROLLUP_MEASURES.map((m) => `sum(${m}) AS ${m}`).join(', ')} FROM (${from}) h GROUP BY ${perHour}`;
  }
  return {
    sql: `SELECT ${[...dimSql, `${bucket} AS bucket`, MEASURES].join(', ')} FROM (${from}) f GROUP BY ${group} ORDER BY ${group}`,
    params: p.values,
  };
}

export function readTimeSeries(q: SeriesQuery, rows: Row[]): Series[] {
  const series = new Map<string, Series>();
  for (const r of rows) {
    const dims = dimsOf(q.groupBy, r);
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

export function dimensionValuesStatement(dimension: Dimension, q: RowSelection, d: SqlDialect): Statement {
  const p = new Params();
  const col = DIMENSION_COLUMNS[dimension];
  return { sql: `SELECT DISTINCT ${col} AS v FROM (${facts(q, p, d, [dimension])}) f ORDER BY v`, params: p.values };
}

export const readDimensionValues = (rows: Row[]): string[] => rows.map((r) => String(r.v));

/** The records of a selection and the span of their start times (from `usage` itself: times to the millisecond). */
export function spanStatement(q: RowSelection, d: SqlDialect): Statement {
  const p = new Params();
  const where = rowWhere(q, p);
  return {
    sql: `SELECT count(*) AS n, ${d.epochMs('min(start_time)')} AS first, ${d.epochMs('max(start_time)')} AS last FROM usage WHERE ${where}`,
    params: p.values,
  };
}

export function readSpan(rows: Row[]): LedgerSpan {
  const r = rows[0]!;
  return {
    records: Number(r.n),
    firstMs: r.first === null ? undefined : Number(r.first),
    lastMs: r.last === null ? undefined : Number(r.last),
  };
}

/** The spend windows that share one time range: each a filtered sum over it (one pass per range). */
export function spendStatements(
  windows: readonly SpendWindow[],
  d: SqlDialect
): { statement: Statement; indexes: number[] }[] {
  const byRange = new Map<string, number[]>();
  windows.forEach((w, i) => {
    const key = `${w.fromMs}:${w.toMs}`;
    byRange.set(key, [...(byRange.get(key) ?? []), i]);
  });
  return [...byRange.values()].map((indexes) => {
    const p = new Params();
    const first = windows[indexes[0]!]!;
    const subjects = indexes.flatMap((i) => windows[i]!.subject?.dimension ?? []);
    const from = facts({ fromMs: first.fromMs, toMs: first.toMs, filters: {} }, p, d, subjects);
    const sums = indexes.map((i, n) => {
      const subject = windows[i]!.subject;
      if (!subject) return `coalesce(sum(cost_pusd), 0) AS s${n}`;
      return `coalesce(sum(cost_pusd) FILTER (WHERE ${DIMENSION_COLUMNS[subject.dimension]} = ${p.bind(subject.value)}), 0) AS s${n}`;
    });
    return { statement: { sql: `SELECT ${sums.join(', ')} FROM (${from}) f`, params: p.values }, indexes };
  });
}

/** Each window's spend from the rows of its statement. */
export function readSpend(windows: number, results: { indexes: number[]; rows: Row[] }[]): bigint[] {
  const out = new Array<bigint>(windows).fill(0n);
  for (const { indexes, rows } of results)
    indexes.forEach((i, n) => (out[i] = BigInt(rows[0]![`s${n}`] as bigint | string)));
  return out;
}
