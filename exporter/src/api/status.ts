import type { Ledger } from '../ledger/ledger';
import type { Scope } from '../ledger/queries';
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
  const span = await ledger.span({ fromMs: QUERY_TIME_RANGE.minMs, toMs: QUERY_TIME_RANGE.maxMs, scope });
  const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    status: 'ok',
    records: span.records,
    firstRecord: iso(span.firstMs),
    lastRecord: iso(span.lastMs),
    scope: scope ?? null,
  };
}
