/** The canonical usage record every gateway format is normalised into. No prompt or response content, ever. */

/** Disjoint token buckets: their sum is every token the request consumed. */
export interface TokenBuckets {
  /** Input tokens not served from a cache. */
  inputUncached: number;
  /** Input tokens read from a provider-side prompt cache. */
  cacheRead: number;
  /** Input tokens written to a provider-side prompt cache. */
  cacheWrite: number;
  /** Output tokens, reasoning included. */
  output: number;
  /** Reasoning tokens: informational, already counted inside `output`. */
  reasoning: number;
}

export type RequestStatus = 'success' | 'failure';

export type GatewayFormat = 'litellm' | 'kong' | 'envoy' | 'generic';

export interface UsageRecord {
  /** Request id as written by the gateway, or a content hash when the gateway writes none. */
  requestId: string;
  /** Start of the request, epoch milliseconds (UTC). */
  startMs: number;
  durationMs: number | undefined;
  user: string | undefined;
  /** A hash or credential id identifying the API key; never the key itself. */
  apiKeyId: string | undefined;
  apiKeyAlias: string | undefined;
  team: string | undefined;
  tier: string | undefined;
  model: string;
  provider: string | undefined;
  status: RequestStatus;
  httpStatus: number | undefined;
  tokens: TokenBuckets;
}

/** Why a line could not become a usage record. Used as the `reason` label of the rejected-lines counter. */
export type RejectReason =
  | 'invalid_json'
  | 'unrecognized_format'
  | 'missing_field'
  | 'invalid_field'
  | 'line_too_long'
  | 'invalid_utf8';

export const REJECT_REASONS: readonly RejectReason[] = [
  'invalid_json',
  'unrecognized_format',
  'missing_field',
  'invalid_field',
  'line_too_long',
  'invalid_utf8',
];

export interface ParseRejection {
  reason: RejectReason;
  /** The JSON path of the offending field, when one field is to blame. */
  field?: string;
  message: string;
}

export function isRejection<T extends object>(v: T | ParseRejection): v is ParseRejection {
  return (v as ParseRejection).reason !== undefined;
}

/** A priced record, ready for the ledger. Amounts are integer pico-USD (1e-12 USD). */
export interface PricedRecord extends UsageRecord {
  /** Configured name of the source that produced it; with requestId it forms the idempotency key. */
  source: string;
  /** Provider list cost; undefined when the model has no price yet. */
  costPusd: bigint | undefined;
  /** What the request's tier is billed (tier multiplier or override applied); undefined when unpriced. */
  chargePusd: bigint | undefined;
  priceVersion: string | undefined;
}
