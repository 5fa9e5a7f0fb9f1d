import type { TokenBuckets } from '../types';
import { isAbsent, toOptionalCount, toOptionalText } from './coerce';
import { FieldError } from './fieldError';

/**
 * Token semantics differ between providers; this is the one place that turns what a log reports into the
 * buckets of TokenBuckets (types.ts).
 * - OpenAI chat `usage.prompt_tokens` INCLUDES `prompt_tokens_details.cached_tokens` and `.audio_tokens`, and
 *   `completion_tokens` includes `completion_tokens_details.reasoning_tokens` and `.audio_tokens`.
 * - OpenAI Responses: `input_tokens` includes `input_tokens_details.cached_tokens`.
 * - Anthropic `input_tokens` EXCLUDES `cache_read_input_tokens` and `cache_creation_input_tokens`; the writes are
 *   split by TTL in `cache_creation.ephemeral_5m_input_tokens` / `.ephemeral_1h_input_tokens`.
 * - LiteLLM's usage (OpenAI shape) carries Anthropic's writes in `prompt_tokens_details.cache_creation_tokens`
 *   (inside prompt_tokens) split in `prompt_tokens_details.cache_creation_token_details`, and web searches in
 *   `server_tool_use.web_search_requests` (litellm/types/utils.py Usage, PromptTokensDetailsWrapper).
 */

/** What a log reports, before normalisation. `inputIncludesCacheWrite` matters only when cacheWrite > 0. */
export interface ReportedTokens {
  /** All input tokens, cached ones included (OpenAI semantics). */
  inputTotal: number;
  cacheRead: number;
  /** Every cache write, whatever its TTL. */
  cacheWrite: number;
  /** The part of `cacheWrite` written with the 1-hour TTL. */
  cacheWrite1h: number;
  inputIncludesCacheWrite: boolean;
  output: number;
  reasoning: number;
  /** Input tokens of each medium as reported (cached ones may be among them). */
  inputAudio: number;
  inputImage: number;
  inputVideo: number;
  outputAudio: number;
  outputImage: number;
}

/** What a usage object says besides tokens (Anthropic and LiteLLM put these in `usage`). */
export interface UsageExtras {
  webSearchQueries: number | undefined;
  serviceTier: string | undefined;
  inferenceGeo: string | undefined;
  speed: string | undefined;
}

export interface ReadUsage {
  tokens: ReportedTokens;
  extras: UsageExtras;
}

export function toBuckets(r: ReportedTokens, field: string): TokenBuckets {
  const cached = r.cacheRead + (r.inputIncludesCacheWrite ? r.cacheWrite : 0);
  const inputUncached = r.inputTotal - cached;
  if (inputUncached < 0) {
    throw new FieldError(
      'invalid_field',
      field,
      `${field}: input tokens (${r.inputTotal}) are fewer than the cached tokens they include (${cached})`
    );
  }
  if (r.cacheWrite1h > r.cacheWrite) {
    throw new FieldError(
      'invalid_field',
      field,
      `${field}: 1-hour cache writes (${r.cacheWrite1h}) exceed all cache writes (${r.cacheWrite})`
    );
  }
  if (r.reasoning > r.output) {
    throw new FieldError(
      'invalid_field',
      field,
      `${field}: reasoning tokens (${r.reasoning}) exceed output tokens (${r.output})`
    );
  }
  const outputParts = r.reasoning + r.outputAudio + r.outputImage;
  if (outputParts > r.output) {
    throw new FieldError(
      'invalid_field',
      field,
      `${field}: reasoning, audio and image output tokens (${outputParts}) exceed output tokens (${r.output})`
    );
  }
  // Media counts may include cached tokens of that medium (OpenAI counts cached audio in both): only what the
  // cache did not serve is uncached media, taken in this order, as LiteLLM's generic_cost_per_token does.
  const inputAudio = Math.min(r.inputAudio, inputUncached);
  const inputImage = Math.min(r.inputImage, inputUncached - inputAudio);
  const inputVideo = Math.min(r.inputVideo, inputUncached - inputAudio - inputImage);
  return {
    inputUncached,
    cacheRead: r.cacheRead,
    cacheWrite: r.cacheWrite - r.cacheWrite1h,
    cacheWrite1h: r.cacheWrite1h,
    output: r.output,
    reasoning: r.reasoning,
    inputAudio,
    inputImage,
    inputVideo,
    outputAudio: r.outputAudio,
    outputImage: r.outputImage,
  };
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

const count = (v: unknown, field: string): number => toOptionalCount(v, field) ?? 0;

/** The first of `keys` that `o` holds a value for (null is none), with its path for messages. */
function firstOf(
  o: Record<string, unknown> | undefined,
  keys: readonly string[],
  prefix = ''
): { key: string; value: unknown } | undefined {
  for (const k of keys) if (o?.[k] !== undefined && o[k] !== null) return { key: prefix + k, value: o[k] };
  return undefined;
}

const NO_EXTRAS: UsageExtras = {
  webSearchQueries: undefined,
  serviceTier: undefined,
  inferenceGeo: undefined,
  speed: undefined,
};

/** `server_tool_use.web_search_requests`, `service_tier`, `inference_geo`, `speed` of a usage object. */
function extrasOf(
  u: Record<string, unknown>,
  field: string,
  details: Record<string, unknown> | undefined
): UsageExtras {
  const tools = obj(u.server_tool_use);
  if (!tools && u.service_tier === undefined && u.inference_geo === undefined && u.speed === undefined && !details)
    return NO_EXTRAS;
  const searches = tools?.web_search_requests ?? details?.web_search_requests;
  const text = (k: string): string | undefined => {
    const v = toOptionalText(u[k], `${field}.${k}`);
    return v === undefined ? undefined : v.toLowerCase();
  };
  return {
    webSearchQueries: isAbsent(searches)
      ? undefined
      : count(searches, `${field}.${tools ? 'server_tool_use.' : 'prompt_tokens_details.'}web_search_requests`),
    serviceTier: text('service_tier'),
    inferenceGeo: text('inference_geo'),
    speed: text('speed'),
  };
}

/**
 * Reads an OpenAI-style (chat or Responses) or Anthropic-style `usage` object, telling them apart by
 * their keys. Returns undefined when the object has no token fields at all.
 */
export function readUsageObject(value: unknown, field: string): ReadUsage | undefined {
  const u = obj(value);
  if (!u) return undefined;
  const f = (k: string): string => `${field}.${k}`;
  if (u.prompt_tokens !== undefined || u.completion_tokens !== undefined) {
    const details = obj(u.prompt_tokens_details);
    const outDetails = obj(u.completion_tokens_details);
    // LiteLLM puts Anthropic cache writes in `prompt_tokens_details.cache_creation_tokens` (and then counts
    // them inside prompt_tokens); older LiteLLM only had the top-level `cache_creation_input_tokens`, not
    // counted in prompt_tokens. OpenRouter calls it `cache_write_tokens`, included in prompt_tokens.
    const write =
      firstOf(details, ['cache_creation_tokens', 'cache_write_tokens'], 'prompt_tokens_details.') ??
      firstOf(u, ['cache_creation_input_tokens']);
    const read =
      firstOf(details, ['cached_tokens'], 'prompt_tokens_details.') ?? firstOf(u, ['cache_read_input_tokens']);
    const ttl = obj(details?.cache_creation_token_details);
    const ttlField = f('prompt_tokens_details.cache_creation_token_details');
    const oneHour = count(ttl?.ephemeral_1h_input_tokens, `${ttlField}.ephemeral_1h_input_tokens`);
    const byTtl = ttl ? count(ttl.ephemeral_5m_input_tokens, `${ttlField}.ephemeral_5m_input_tokens`) + oneHour : 0;
    const d = (k: string, o: Record<string, unknown> | undefined, prefix: string): number =>
      o ? count(o[k], f(`${prefix}.${k}`)) : 0;
    return {
      tokens: {
        inputTotal: count(u.prompt_tokens, f('prompt_tokens')),
        cacheRead: read ? count(read.value, f(read.key)) : 0,
        // A TTL split without a total (LiteLLM streaming) is the total.
        cacheWrite: write ? count(write.value, f(write.key)) : byTtl,
        cacheWrite1h: oneHour,
        inputIncludesCacheWrite: write === undefined || write.key.startsWith('prompt_tokens_details.'),
        output: count(u.completion_tokens, f('completion_tokens')),
        reasoning: d('reasoning_tokens', outDetails, 'completion_tokens_details'),
        inputAudio: d('audio_tokens', details, 'prompt_tokens_details'),
        inputImage: d('image_tokens', details, 'prompt_tokens_details'),
        inputVideo: d('video_tokens', details, 'prompt_tokens_details'),
        outputAudio: d('audio_tokens', outDetails, 'completion_tokens_details'),
        outputImage: d('image_tokens', outDetails, 'completion_tokens_details'),
      },
      extras: extrasOf(u, field, details),
    };
  }
  if (u.input_tokens !== undefined || u.output_tokens !== undefined) {
    const inDetails = obj(u.input_tokens_details);
    const outDetails = obj(u.output_tokens_details);
    const input = count(u.input_tokens, f('input_tokens'));
    const output = count(u.output_tokens, f('output_tokens'));
    const reasoning = count(outDetails?.reasoning_tokens, f('output_tokens_details.reasoning_tokens'));
    const none = { cacheWrite1h: 0, inputAudio: 0, inputImage: 0, inputVideo: 0, outputAudio: 0, outputImage: 0 };
    if (inDetails) {
      // OpenAI Responses API: input_tokens includes cached_tokens.
      return {
        tokens: {
          ...none,
          inputTotal: input,
          cacheRead: count(inDetails.cached_tokens, f('input_tokens_details.cached_tokens')),
          cacheWrite: 0,
          inputIncludesCacheWrite: false,
          output,
          reasoning,
        },
        extras: extrasOf(u, field, undefined),
      };
    }
    // Anthropic Messages: input_tokens excludes both cache buckets; cache_creation splits the writes by TTL.
    const cacheRead = count(u.cache_read_input_tokens, f('cache_read_input_tokens'));
    const ttl = obj(u.cache_creation);
    const oneHour = count(ttl?.ephemeral_1h_input_tokens, f('cache_creation.ephemeral_1h_input_tokens'));
    const byTtl = ttl
      ? count(ttl.ephemeral_5m_input_tokens, f('cache_creation.ephemeral_5m_input_tokens')) + oneHour
      : 0;
    const cacheWrite = isAbsent(u.cache_creation_input_tokens)
      ? byTtl
      : count(u.cache_creation_input_tokens, f('cache_creation_input_tokens'));
    return {
      tokens: {
        ...none,
        inputTotal: input + cacheRead + cacheWrite,
        cacheRead,
        cacheWrite,
        cacheWrite1h: oneHour,
        inputIncludesCacheWrite: true,
        output,
        reasoning,
      },
      extras: extrasOf(u, field, undefined),
    };
  }
  return undefined;
}
