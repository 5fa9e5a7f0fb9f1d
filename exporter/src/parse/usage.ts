import type { TokenBuckets } from '../types';
import { toOptionalCount } from './coerce';
import { FieldError } from './fieldError';

/**
 * Token semantics differ between providers; this is the one place that turns what a log reports into
 * disjoint buckets (uncached input, cache read, cache write, output).
 * - OpenAI chat `usage.prompt_tokens` INCLUDES `prompt_tokens_details.cached_tokens`, and
 *   `completion_tokens` includes `completion_tokens_details.reasoning_tokens`.
 * - OpenAI Responses: `input_tokens` includes `input_tokens_details.cached_tokens`.
 * - Anthropic `input_tokens` EXCLUDES `cache_read_input_tokens` and `cache_creation_input_tokens`.
 */

/** What a log reports, before normalisation. `inputIncludesCacheWrite` matters only when cacheWrite > 0. */
export interface ReportedTokens {
  /** All input tokens, cached ones included (OpenAI semantics). */
  inputTotal: number;
  cacheRead: number;
  cacheWrite: number;
  inputIncludesCacheWrite: boolean;
  output: number;
  reasoning: number;
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
  if (r.reasoning > r.output) {
    throw new FieldError(
      'invalid_field',
      field,
      `${field}: reasoning tokens (${r.reasoning}) exceed output tokens (${r.output})`
    );
  }
  return {
    inputUncached,
    cacheRead: r.cacheRead,
    cacheWrite: r.cacheWrite,
    cacheWrite1h: 0,
    output: r.output,
    reasoning: r.reasoning,
    inputAudio: 0,
    inputImage: 0,
    inputVideo: 0,
    outputAudio: 0,
    outputImage: 0,
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

/**
 * Reads an OpenAI-style (chat or Responses) or Anthropic-style `usage` object, telling them apart by
 * their keys. Returns undefined when the object has no token fields at all.
 */
export function readUsageObject(value: unknown, field: string): ReportedTokens | undefined {
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
    return {
      inputTotal: count(u.prompt_tokens, f('prompt_tokens')),
      cacheRead: read ? count(read.value, f(read.key)) : 0,
      cacheWrite: write ? count(write.value, f(write.key)) : 0,
      inputIncludesCacheWrite: write !== undefined && write.key.startsWith('prompt_tokens_details.'),
      output: count(u.completion_tokens, f('completion_tokens')),
      reasoning: count(outDetails?.reasoning_tokens, f('completion_tokens_details.reasoning_tokens')),
    };
  }
  if (u.input_tokens !== undefined || u.output_tokens !== undefined) {
    const inDetails = obj(u.input_tokens_details);
    const outDetails = obj(u.output_tokens_details);
    const input = count(u.input_tokens, f('input_tokens'));
    const output = count(u.output_tokens, f('output_tokens'));
    const reasoning = count(outDetails?.reasoning_tokens, f('output_tokens_details.reasoning_tokens'));
    if (inDetails) {
      // OpenAI Responses API: input_tokens includes cached_tokens.
      return {
        inputTotal: input,
        cacheRead: count(inDetails.cached_tokens, f('input_tokens_details.cached_tokens')),
        cacheWrite: 0,
        inputIncludesCacheWrite: false,
        output,
        reasoning,
      };
    }
    // Anthropic Messages: input_tokens excludes both cache buckets.
    const cacheRead = count(u.cache_read_input_tokens, f('cache_read_input_tokens'));
    const cacheWrite = count(u.cache_creation_input_tokens, f('cache_creation_input_tokens'));
    return {
      inputTotal: input + cacheRead + cacheWrite,
      cacheRead,
      cacheWrite,
      inputIncludesCacheWrite: true,
      output,
      reasoning,
    };
  }
  return undefined;
}
