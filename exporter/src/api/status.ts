import type { Ledger } from '../ledger/ledger';
import { Scope, whereClause } from '../ledger/queries';
import { QUERY_TIME_RANGE } from './params';

export interface StatusReport {
  status: 'ok';
  records: number;
  firstRecord: string | null;
  lastRecord: string | null;
  scope: Scope | null;
}

/**
 * What `/status` tells a caller: the records it may see (a scoped token: only its scope's, like every other
 * endpoint) and the span of their start times. Only times a query can name are counted, so both ends always
 * have an ISO form: a ledger written before start times were bounded may hold a record beyond year 9999,
 * which no query can reach either.
 */
export async function statusReport(ledger: Ledger, scope: Scope | undefined): Promise<StatusReport> {
  const where = whereClause({ fromMs: QUERY_TIME_RANGE.minMs, toMs: QUERY_TIME_RANGE.maxMs, filters: {}, scope });
  const r = (
    await ledger.rows(
      `SELECT count(*) AS n, epoch_ms(min(start_time)) AS first, epoch_ms(max(start_time)) AS last FROM usage WHERE ${where.sql}`,
      where.params
    )
  )[0]!;
  const iso = (ms: unknown): string | null => (ms === null ? null : new Date(Number(ms)).toISOString());
  return {
    status: 'ok',
    records: Number(r.n),
    firstRecord: iso(r.first),
    lastRecord: iso(r.last),
    scope: scope ?? null,
  };
}
