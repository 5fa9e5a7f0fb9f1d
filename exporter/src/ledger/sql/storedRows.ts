import type { PricingInputs, SearchContextSize, TokenBuckets, ToolCalls } from '../../types';
import type { ReadPosition, RejectedLine } from '../ledger';
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

/** The columns `pricingInputsFromRow` reads, besides the start time as epoch ms (`start_ms`). */
export const PRICING_INPUT_COLUMNS =
  'model, base_model, provider, tier, service_tier, speed, inference_geo, input_uncached, cache_read, cache_write, cache_write_1h, output, reasoning, input_audio, input_image, input_video, output_audio, output_image, web_search_queries, web_search_context, file_search_calls, code_interpreter_sessions, maps_grounding_queries, gateway_cache_hit, usage_reported';

/** The columns `usageFromRow` reads, with the start time as epoch ms (`start_ms`), selected by each engine. */
export const STORED_USAGE_COLUMNS = `record_key, duration_ms, user_id, api_key, api_key_id, team, status, http_status, model_requested, reported_cost_pusd, cost_pusd, fee_pusd, charge_pusd, priced_model, price_version, priced_on_ingest, ${PRICING_INPUT_COLUMNS}`;

export function usageFromRow(r: Record<string, unknown>): StoredUsage {
  const costPusd = optBigint(r.cost_pusd);
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
    modelRequested: optText(r.model_requested),
    baseModel: optText(r.base_model),
    serviceTier: optText(r.service_tier),
    speed: optText(r.speed),
    inferenceGeo: optText(r.inference_geo),
    toolCalls: toolCallsFromRow(r),
    gatewayCacheHit: r.gateway_cache_hit === true,
    usageReported: r.usage_reported === true,
    reportedCostPusd: optBigint(r.reported_cost_pusd),
    costPusd,
    // Stored as 0 while unpriced: no fee is known of a request without a price.
    feePusd: costPusd === undefined ? undefined : BigInt(r.fee_pusd as bigint | string),
    chargePusd: optBigint(r.charge_pusd),
    pricedModel: optText(r.priced_model),
    priceVersion: optText(r.price_version),
    pricedOnIngest: r.priced_on_ingest === true,
  };
}

function tokensFromRow(r: Record<string, unknown>): TokenBuckets {
  return {
    inputUncached: Number(r.input_uncached),
    cacheRead: Number(r.cache_read),
    cacheWrite: Number(r.cache_write),
    cacheWrite1h: Number(r.cache_write_1h),
    output: Number(r.output),
    reasoning: Number(r.reasoning),
    inputAudio: Number(r.input_audio),
    inputImage: Number(r.input_image),
    inputVideo: Number(r.input_video),
    outputAudio: Number(r.output_audio),
    outputImage: Number(r.output_image),
  };
}

function toolCallsFromRow(r: Record<string, unknown>): ToolCalls {
  return {
    webSearchQueries: Number(r.web_search_queries),
    webSearchContext: optText(r.web_search_context) as SearchContextSize | undefined,
    fileSearchCalls: Number(r.file_search_calls),
    codeInterpreterSessions: Number(r.code_interpreter_sessions),
    mapsGroundingQueries: Number(r.maps_grounding_queries),
  };
}

/** How a row names its model: what the pricer resolves to the model it bills (Pricer.billedModel). */
export function modelNamingFromRow(
  r: Record<string, unknown>
): Pick<PricingInputs, 'model' | 'baseModel' | 'provider'> {
  return { model: String(r.model), baseModel: optText(r.base_model), provider: optText(r.provider) };
}

/**
 * Every input of the pricer, from a row's PRICING_INPUT_COLUMNS (`start_ms` the start time in epoch ms): a
 * row priced again gets every rule it got, or would have got, at ingest.
 */
export function pricingInputsFromRow(r: Record<string, unknown>): PricingInputs {
  return {
    ...modelNamingFromRow(r),
    tier: String(r.tier),
    startMs: Number(r.start_ms),
    tokens: tokensFromRow(r),
    serviceTier: optText(r.service_tier),
    speed: optText(r.speed),
    inferenceGeo: optText(r.inference_geo),
    toolCalls: toolCallsFromRow(r),
    gatewayCacheHit: r.gateway_cache_hit === true,
    usageReported: r.usage_reported === true,
  };
}

/** Those of `rejects` that the stored rows (path and byte offset, as a query returns them) hold, in their order. */
export function rejectsAmong(rejects: readonly RejectedLine[], stored: Record<string, unknown>[]): RejectedLine[] {
  const keys = new Set(stored.map((r) => `${String(r.path)}\u0000${String(r.byte_offset)}`));
  return rejects.filter((r) => keys.has(`${r.path}\u0000${r.byteOffset}`));
}
