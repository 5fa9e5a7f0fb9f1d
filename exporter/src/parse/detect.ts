import type { GatewayFormat } from '../types';

type PresetFormat = Exclude<GatewayFormat, 'generic'>;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// Keys only LiteLLM's StandardLoggingPayload writes (top level).
const LITELLM_KEYS = [
  'call_type',
  'response_cost',
  'custom_llm_provider',
  'model_group',
  'completionStartTime',
  'standard_logging_object',
];

/** How many of LiteLLM's own keys a line has; `metadata.user_api_key_*` counts as one. */
function litellmEvidence(o: Record<string, unknown>): number {
  let n = 0;
  for (const k of LITELLM_KEYS) if (k in o) n++;
  const meta = o.metadata;
  if (isObject(meta) && Object.keys(meta).some((k) => k.startsWith('user_api_key_'))) n++;
  return n;
}

function kongAi(o: Record<string, unknown>): boolean {
  const ai = o.ai;
  return isObject(ai) && ('proxy' in ai || 'ai-proxy' in ai);
}

/** Envoy AI Gateway's genai_* keys, or the OpenTelemetry-style literal gen_ai.* keys of its other preset. */
function envoyKeys(o: Record<string, unknown>): { genai: boolean; genAiDotted: boolean } {
  let genai = false;
  let genAiDotted = false;
  for (const k of Object.keys(o)) {
    if (k.startsWith('genai_')) genai = true;
    else if (k.startsWith('gen_ai.')) genAiDotted = true;
  }
  return { genai, genAiDotted };
}

/** A GenAI span as parse/otlp/genAiSpans.ts writes it: checked before Envoy, whose keys its attributes share. */
function otelSpan(o: Record<string, unknown>): boolean {
  return isObject(o.otel_span);
}

/**
 * Tells a gateway's lines apart by the keys only that gateway writes. Cheap: top-level key checks (and
 * LiteLLM's `metadata` keys) only. Returns undefined for JSON that none of the presets recognises.
 * First the complete shapes, then the distinctive shapes alone (`partialShape`).
 */
export function detectFormat(o: Record<string, unknown>): PresetFormat | undefined {
  return completeShape(o) ?? partialShape(o);
}

/** A gateway's line with the fields detection relies on (start time, model or token keys). */
export function completeShape(o: Record<string, unknown>): PresetFormat | undefined {
  if ('startTime' in o && 'model' in o && ('call_type' in o || 'response_cost' in o || 'prompt_tokens' in o))
    return 'litellm';
  if (kongAi(o) && 'started_at' in o) return 'kong';
  if (otelSpan(o)) return 'otel';
  if (
    'genai_model_name' in o ||
    'genai_tokens_input' in o ||
    'gen_ai.request.model' in o ||
    'gen_ai.usage.input_tokens' in o
  )
    return 'envoy';
  return undefined;
}

/**
 * A gateway's line by its distinctive keys alone, so that one lacking a required field is refused as
 * `missing_field` naming it rather than as `unrecognized_format`:
 * - LiteLLM: two of `call_type`, `response_cost`, `custom_llm_provider`, `model_group`,
 *   `completionStartTime`, `standard_logging_object` and a `metadata.user_api_key_*` key; or one of them
 *   with `startTime` or `model`.
 * - Kong: an `ai.proxy` (or `ai["ai-proxy"]`) object.
 * - Envoy: any `genai_*` key; or a literal `gen_ai.*` key with `start_time` or `response_code`.
 * - OpenTelemetry GenAI span: an `otel_span` object (complete as it is).
 */
export function partialShape(o: Record<string, unknown>): PresetFormat | undefined {
  const litellm = litellmEvidence(o);
  if (litellm >= 2 || (litellm === 1 && ('startTime' in o || 'model' in o))) return 'litellm';
  if (kongAi(o)) return 'kong';
  if (otelSpan(o)) return 'otel';
  const envoy = envoyKeys(o);
  if (envoy.genai || (envoy.genAiDotted && ('start_time' in o || 'response_code' in o))) return 'envoy';
  return undefined;
}
