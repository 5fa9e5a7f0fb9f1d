import { NO_TOKENS, TokenBuckets } from '../../types';
import type { ReadPosition, RejectedLine, UnpricedRow } from '../ledger';
import type { StoredUsage } from '../rows';

/** Stored rows of `rejects` and `read_positions` as the domain's types (the column names every engine uses). */

export function rejectFromRow(r: Record<string, unknown>): RejectedLine {
  return {
    source: r.source as string,
    path: r.path as string,
    line: Number(r.line),
    byteOffset: Number(r.byte_offset),
    byteLength: Number(r.byte_length),
    reason: r.reason as string,
    field: (r.field as string | null) ?? undefined,
    message: r.message as string,
    lineSha256: r.line_sha256 as string,
    excerpt: (r.excerpt as string | null) ?? undefined,
  };
}

export function positionFromRow(r: Record<string, unknown>): ReadPosition {
  return {
    source: r.source as string,
    fileKey: r.file_key as string,
    path: r.path as string,
    fingerprint: r.fingerprint as string,
    fingerprintLen: Number(r.fingerprint_len),
    offset: Number(r.offset),
    line: Number(r.line),
    finished: r.finished as boolean,
  };
}

const optText = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : (v as string));
const optNumber = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));
const optBigint = (v: unknown): bigint | undefined =>
  v === null || v === undefined ? undefined : BigInt(v as bigint | string);

/** The columns `usageFromRow` reads, with the start time as epoch ms (`start_ms`), selected by each engine. */
export const STORED_USAGE_COLUMNS =
  'record_key, duration_ms, user_id, api_key, api_key_id, team, tier, model, provider, status, http_status, input_uncached, cache_read, cache_write, output, reasoning, cost_pusd, charge_pusd, price_version, priced_on_ingest';

export function usageFromRow(r: Record<string, unknown>): StoredUsage {
  return {
    recordKey: String(r.record_key),
    startMs: Number(r.start_ms),
    durationMs: optNumber(r.duration_ms),
    user: String(r.user_id),
    apiKey: String(r.api_key),
    apiKeyId: optText(r.api_key_id),
    team: String(r.team),
    tier: String(r.tier),
    model: String(r.model),
    provider: optText(r.provider),
    status: r.status === 'failure' ? 'failure' : 'success',
    httpStatus: optNumber(r.http_status),
    tokens: tokensFromRow(r),
    costPusd: optBigint(r.cost_pusd),
    chargePusd: optBigint(r.charge_pusd),
    priceVersion: optText(r.price_version),
    pricedOnIngest: r.priced_on_ingest === true,
  };
}

function tokensFromRow(r: Record<string, unknown>): TokenBuckets {
  return {
    ...NO_TOKENS,
    inputUncached: Number(r.input_uncached),
    cacheRead: Number(r.cache_read),
    cacheWrite: Number(r.cache_write),
    output: Number(r.output),
    reasoning: Number(r.reasoning),
  };
}

/** What re-pricing a row needs of it, from its columns (`start_ms` the start time in epoch ms). */
export function unpricedFromRow(r: Record<string, unknown>): UnpricedRow {
  return {
    model: String(r.model),
    provider: optText(r.provider),
    tier: String(r.tier),
    startMs: Number(r.start_ms),
    tokens: tokensFromRow(r),
  };
}

/** Those of `rejects` that the stored rows (path and byte offset, as a query returns them) hold, in their order. */
export function rejectsAmong(rejects: readonly RejectedLine[], stored: Record<string, unknown>[]): RejectedLine[] {
  const keys = new Set(stored.map((r) => `${String(r.path)}\u0000${String(r.byte_offset)}`));
  return rejects.filter((r) => keys.has(`${r.path}\u0000${r.byteOffset}`));
}
