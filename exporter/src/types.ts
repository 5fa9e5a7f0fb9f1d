/** The canonical usage record every gateway format is normalised into. No prompt or response content, ever. */

/**
 * Token buckets of one request, as the provider bills them. Three groups, each disjoint within itself:
 * - input: `inputUncached` + `cacheRead` + `cacheWrite` + `cacheWrite1h` is every input token (prompt);
 * - output: `output` is every output token;
 * - parts, each a subset of one group's bucket and priced at its own rate (the rest of the bucket at the bucket's):
 *   `inputAudio`, `inputImage`, `inputVideo` are the uncached input tokens of that modality (parts of
 *   `inputUncached`); `reasoning`, `outputAudio` and `outputImage` are parts of `output` (OpenAI counts reasoning
 *   and audio inside completion_tokens; Gemini's thoughts are added to candidates to make `output`).
 * So input + output totals stay what they always were, and a bucket a log does not report is 0.
 */
export interface TokenBuckets {
  /** Input tokens not served from or written to a cache, every modality (audio, image and video parts below). */
  inputUncached: number;
  /** Input tokens read from a provider-side prompt cache. */
  cacheRead: number;
  /**
   * Input tokens written to a provider-side prompt cache with the 5-minute TTL, or a TTL the log does not state
   * (Anthropic's default TTL is 5 minutes; OpenAI has no write charge and reports none).
   */
  cacheWrite: number;
  /** Input tokens written to a provider-side prompt cache with the 1-hour TTL (Anthropic `ephemeral_1h_input_tokens`). */
  cacheWrite1h: number;
  /** Output tokens, every part below included. */
  output: number;
  /** Reasoning (thinking) tokens: part of `output`, billed at the model's reasoning rate, else its output rate. */
  reasoning: number;
  /** Uncached audio input tokens: part of `inputUncached`. */
  inputAudio: number;
  /** Uncached image input tokens: part of `inputUncached`. */
  inputImage: number;
  /** Uncached video input tokens: part of `inputUncached`. */
  inputVideo: number;
  /** Audio output tokens: part of `output`. */
  outputAudio: number;
  /** Image output tokens: part of `output`. */
  outputImage: number;
}

/** A request that reported no tokens of a kind: every bucket 0. Frozen; spread it to build buckets. */
export const NO_TOKENS: Readonly<TokenBuckets> = Object.freeze({
  inputUncached: 0,
  cacheRead: 0,
  cacheWrite: 0,
  cacheWrite1h: 0,
  output: 0,
  reasoning: 0,
  inputAudio: 0,
  inputImage: 0,
  inputVideo: 0,
  outputAudio: 0,
  outputImage: 0,
});

/** OpenAI's `web_search_options.search_context_size` (and LiteLLM's `search_context_cost_per_query` keys). */
export type SearchContextSize = 'low' | 'medium' | 'high';

/**
 * Billed tool calls of one request, counted as the gateway logs them; the price book says what each costs
 * (per query, per grounded prompt, per 1,000 calls, per session).
 */
export interface ToolCalls {
  /** Web search queries (Anthropic `server_tool_use.web_search_requests`, OpenAI web_search calls, Gemini grounding queries). */
  webSearchQueries: number;
  /** Search context size of the web searches, when the log says; the price book's default otherwise. */
  webSearchContext: SearchContextSize | undefined;
  /** File search tool calls (OpenAI Responses `file_search`). */
  fileSearchCalls: number;
  /** Code interpreter (container) sessions opened by the request. */
  codeInterpreterSessions: number;
  /** Google Maps grounding queries (Gemini). */
  mapsGroundingQueries: number;
}

export const NO_TOOL_CALLS: Readonly<ToolCalls> = Object.freeze({
  webSearchQueries: 0,
  webSearchContext: undefined,
  fileSearchCalls: 0,
  codeInterpreterSessions: 0,
  mapsGroundingQueries: 0,
});

/**
 * Everything the pricer reads of a request: what the ledger must keep of a record so that `reprice` can price
 * it again, with every rule, under a corrected price book.
 */
export interface PricingInputs {
  /** The model billed: the one the provider served when the log says (response model), else the one requested. */
  model: string;
  /** The base model a deployment alias is billed as, when the gateway says (LiteLLM `model_info.base_model`). */
  baseModel: string | undefined;
  provider: string | undefined;
  /** Chargeback tier of the caller (identity), not the provider's service tier. */
  tier: string | undefined;
  /** Start of the request, epoch milliseconds (UTC): the price in force then applies. */
  startMs: number;
  tokens: TokenBuckets;
  /**
   * The provider's service tier that served the request, lower case: `flex`, `priority`, `batch`, `standard`
   * (`default`, `auto`, `on_demand` read as standard). Undefined: standard.
   */
  serviceTier: string | undefined;
  /** Anthropic's `speed` (`fast` is fast mode, a multiplier of the model's rates); undefined: standard. */
  speed: string | undefined;
  /**
   * Where the provider ran inference, lower case, as the key of the model's region multipliers (Anthropic
   * `usage.inference_geo`: `us`, `global`; OpenAI data residency `eu`, `us`). Undefined: global (no multiplier).
   */
  inferenceGeo: string | undefined;
  toolCalls: ToolCalls;
  /** Answered from the gateway's own cache (LiteLLM `cache_hit: true`): no provider call, no cost. */
  gatewayCacheHit: boolean;
  /**
   * Whether the log reported usage at all. False (an interrupted stream, a provider that omits usage): the
   * tokens are unknown, not zero, and the request is counted as unreported rather than priced at zero.
   */
  usageReported: boolean;
}

/** Pricing inputs of a record whose log says nothing beyond model, provider, tier, start and tokens. */
export const DEFAULT_PRICING_EXTRAS: Readonly<
  Pick<
    PricingInputs,
    'baseModel' | 'serviceTier' | 'speed' | 'inferenceGeo' | 'toolCalls' | 'gatewayCacheHit' | 'usageReported'
  >
> = Object.freeze({
  baseModel: undefined,
  serviceTier: undefined,
  speed: undefined,
  inferenceGeo: undefined,
  toolCalls: NO_TOOL_CALLS,
  gatewayCacheHit: false,
  usageReported: true,
});

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

export interface UsageRecord extends PricingInputs {
  /** Request id as written by the gateway, or a content hash when the gateway writes none. */
  requestId: string;
  durationMs: number | undefined;
  user: string | undefined;
  /** A hash or credential id identifying the API key; never the key itself. */
  apiKeyId: string | undefined;
  apiKeyAlias: string | undefined;
  team: string | undefined;
  /** The model (or deployment alias, LiteLLM's model group) the client asked for; the log's model when it names no other. */
  modelRequested: string | undefined;
  status: RequestStatus;
  httpStatus: number | undefined;
  /**
   * The cost the gateway itself reported for the request (LiteLLM `response_cost`, Kong `ai.proxy.usage.cost`),
   * in pico-USD, for reconciliation only; undefined when it reports none.
   */
  reportedCostPusd: bigint | undefined;
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
  /**
   * Provider list cost, per-call fees included; 0 for a gateway cache hit; undefined when the model has no price
   * yet or the request reported no usage.
   */
  costPusd: bigint | undefined;
  /** The per-call fees (web search, file search, code interpreter, maps grounding) inside `costPusd`. */
  feePusd: bigint | undefined;
  /** What the request's tier is billed (tier multiplier or override applied); undefined when unpriced. */
  chargePusd: bigint | undefined;
  /** The price book's model the request was priced as (after aliases, base model, prefixes); undefined when unpriced. */
  pricedModel: string | undefined;
  priceVersion: string | undefined;
}
