import { Dimension, DIMENSIONS, isDimension, SORT_KEYS, SortKey } from '../ledger/queries';
import { parseIsoTime } from '../isoTime';
import { RECORD_BOUNDS } from '../types';

/**
 * Query parameters of the chargeback API, checked before anything reaches SQL. Every mistake is a 400
 * whose JSON body names the parameter and says what was expected.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly parameter?: string
  ) {
    super(message);
  }
}

export type Query = Record<string, unknown>;

const bad = (parameter: string, message: string): never => {
  throw new ApiError(400, `${parameter}: ${message}`, parameter);
};

/** Rejects parameters the endpoint does not know: a misspelt filter must not silently widen a report. */
export function checkKnown(q: Query, allowed: readonly string[]): void {
  for (const key of Object.keys(q)) {
    if (!allowed.includes(key))
      bad(
        key,
        allowed.length
          ? `unknown parameter; expected one of ${allowed.join(', ')}`
          : 'unknown parameter; this endpoint takes none'
      );
  }
}

function single(q: Query, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') bad(name, 'give it once');
  return v as string;
}

function list(q: Query, name: string): string[] {
  const v = q[name];
  if (v === undefined) return [];
  const values = Array.isArray(v) ? v : [v];
  if (!values.every((x): x is string => typeof x === 'string')) bad(name, 'expected text values');
  return values as string[];
}

/**
 * The times a query can name: from the earliest time a record can have to the end of the last one
 * (RECORD_BOUNDS, types.ts), 1970-01-01T00:00:00Z to 10000-01-01T00:00:00Z. Every time in it has an ISO form
 * and a ledger timestamp; any range outside it holds no record.
 */
export const QUERY_TIME_RANGE = { minMs: RECORD_BOUNDS.minTimeMs, maxMs: RECORD_BOUNDS.maxTimeMs + 1 } as const;
const QUERY_TIMES = `${new Date(QUERY_TIME_RANGE.minMs).toISOString()} (${QUERY_TIME_RANGE.minMs}) to ${new Date(QUERY_TIME_RANGE.maxMs).toISOString()} (${QUERY_TIME_RANGE.maxMs})`;

/** Epoch milliseconds (what Grafana sends) or an ISO date/time (UTC unless it says otherwise), within QUERY_TIME_RANGE. */
export function parseTime(q: Query, name: string): number {
  const v = single(q, name);
  if (v === undefined || v === '') return bad(name, 'required (epoch milliseconds or an ISO date/time)');
  let ms: number;
  if (/^\d+$/.test(v)) ms = Number(v);
  else {
    const t = parseIsoTime(v);
    if (!t.ok)
      return bad(
        name,
        t.kind === 'shape' ? `not a time: ${JSON.stringify(v)} (epoch milliseconds or an ISO date/time)` : t.problem
      );
    ms = t.ms;
  }
  if (!(ms >= QUERY_TIME_RANGE.minMs && ms <= QUERY_TIME_RANGE.maxMs))
    bad(name, `${v} is outside the times a query can name, ${QUERY_TIMES}`);
  return ms;
}

export function parseRange(q: Query): { fromMs: number; toMs: number } {
  const fromMs = parseTime(q, 'from');
  const toMs = parseTime(q, 'to');
  if (fromMs >= toMs) bad('from', 'must be before to (the range is [from, to))');
  return { fromMs, toMs };
}

/** `groupBy=user,model` or `groupBy=user&groupBy=model`. */
export function parseGroupBy(q: Query): Dimension[] {
  const names = list(q, 'groupBy')
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names)
    if (!isDimension(n)) bad('groupBy', `unknown dimension ${JSON.stringify(n)}; expected ${DIMENSIONS.join(', ')}`);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) bad('groupBy', `dimension ${JSON.stringify(twice)} is given twice`);
  return names as Dimension[];
}

/** `user=a&user=b`: multi-value filters, one parameter per dimension. */
export function parseFilters(q: Query): Partial<Record<Dimension, string[]>> {
  const filters: Partial<Record<Dimension, string[]>> = {};
  for (const d of DIMENSIONS) {
    const values = list(q, d);
    if (values.length) filters[d] = values;
  }
  return filters;
}

export function parseSort(q: Query): SortKey {
  const v = single(q, 'sort') ?? 'cost';
  if (!SORT_KEYS.includes(v as SortKey)) bad('sort', `expected one of ${SORT_KEYS.join(', ')}`);
  return v as SortKey;
}

export const MAX_LIMIT = 10000;

export function parseLimit(q: Query): number | undefined {
  const v = single(q, 'limit');
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) bad('limit', `expected an integer from 1 to ${MAX_LIMIT}`);
  return n;
}

export function parseBoolean(q: Query, name: string): boolean {
  const v = single(q, name);
  if (v === undefined || v === 'false' || v === '0') return false;
  if (v === 'true' || v === '1' || v === '') return true;
  return bad(name, 'expected true or false');
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
export const MAX_POINTS = 11000;
/** A step longer than every time a query can name gives one point anyway; a longer one is refused. */
export const MAX_STEP_SECONDS = (QUERY_TIME_RANGE.maxMs - QUERY_TIME_RANGE.minMs) / 1000;

/** A step such as `30s`, `5m`, `1h`, `1d`, `1w`, or a number of seconds; at most MAX_POINTS per series. */
export function parseStep(q: Query, range: { fromMs: number; toMs: number }): number {
  const v = single(q, 'step');
  if (v === undefined) return bad('step', 'required, e.g. 1h or 1d');
  const m = /^(\d+)(s|m|h|d|w)?$/.exec(v.trim());
  if (!m) return bad('step', `expected a duration like 30s, 5m, 1h, 1d, 1w or seconds, got ${JSON.stringify(v)}`);
  const seconds = Number(m[1]) * UNIT_SECONDS[m[2] ?? 's']!;
  if (seconds < 1) bad('step', 'must be at least 1s');
  if (!(seconds <= MAX_STEP_SECONDS)) bad('step', `${v} is longer than the ${MAX_STEP_SECONDS} s a query can span`);
  const points = Math.ceil((range.toMs - range.fromMs) / 1000 / seconds);
  if (points > MAX_POINTS)
    bad('step', `${v} gives ${points} points for this range; at most ${MAX_POINTS} (use a larger step)`);
  return seconds;
}
