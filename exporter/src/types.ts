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

export type GatewayFormat = 'litellm' | 'kong' | 'envoy' | 'otel' | 'generic';

/**
 * Bounds every usage record keeps (docs/formats.md, "Bounds"). A line outside them is refused where the record
 * is built, as one `invalid_field` reject naming the field, so it can never stop the batch it is in at a later
 * stage: the ledger's integer columns, its timestamps, DuckDB's CSV reader that loads a batch, ISO formatting.
 */
export const RECORD_BOUNDS = {
  /**
   * Tokens in one bucket of one request: ten billion, thousands of times the largest context window, and small
   * enough that sums of many requests stay exact in the ledger's BIGINT columns.
   */
  maxTokens: 10_000_000_000,
  /** Request start and end times: 1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z (four-digit years in ISO 8601). */
  minTimeMs: 0,
  maxTimeMs: Date.UTC(9999, 11, 31, 23, 59, 59, 999),
  /**
   * A request's duration: at most 1e12 ms (about 31 years), so that latency sums stay finite
   * and meaningful; larger is not a duration.
   */
  maxDurationMs: 1e12,
  /**
   * Characters (UTF-16 code units) of one text field such as user, team or model: far above any real name, and small
   * enough that a whole row stays far below the line size DuckDB's CSV reader accepts (2 MiB).
   */
  maxTextLength: 1024,
  /** Cost and charge of one request, pico-USD: the ledger's BIGINT columns (about 9.2 million USD). */
  maxPusd: (1n << 63n) - 1n,
} as const;

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
  | 'invalid_utf8'
  | 'container_format';

export const REJECT_REASONS: readonly RejectReason[] = [
  'invalid_json',
  'unrecognized_format',
  'missing_field',
  'invalid_field',
  'line_too_long',
  'invalid_utf8',
  'container_format',
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
