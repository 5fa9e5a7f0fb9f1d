import type { GatewayFormat } from '../types';
import { CanonicalField, compileFieldSpec, FieldSpecInput, Mapping } from './mapping';

/**
 * Field maps of the gateways we read out of the box. Sources: LiteLLM `StandardLoggingPayload`
 * (litellm/types/utils.py), Kong AI Gateway's analytics serializer (ai.proxy.* in file-log lines), Envoy AI
 * Gateway access-log docs (both documented key presets). See docs/formats.md for example lines.
 */

type PresetInput = Partial<Record<CanonicalField, FieldSpecInput>>;

function compile(input: PresetInput): Mapping['fields'] {
  const out: Mapping['fields'] = {};
  for (const [field, spec] of Object.entries(input) as [CanonicalField, FieldSpecInput][])
    out[field] = compileFieldSpec(spec);
  return out;
}

const litellm = (): PresetInput => ({
  requestId: 'id',
  startTime: 'startTime',
  endTime: 'endTime',
  user: 'metadata.user_api_key_user_id',
  apiKeyId: 'metadata.user_api_key_hash',
  apiKeyAlias: 'metadata.user_api_key_alias',
  team: ['metadata.user_api_key_team_alias', 'metadata.user_api_key_team_id'],
  tier: [
    { path: 'request_tags', tag_prefix: 'tier:' },
    'metadata.spend_logs_metadata.tier',
    'metadata.requester_metadata.tier',
  ],
  // The model the provider answered as (the response's `model`) is billed over the deployment's name; the
  // key LiteLLM priced the call by (`model_map_information.model_map_key`: the deployment's
  // `model_info.base_model` when configured) names the base model of an alias; `model_group` is what the client
  // asked for.
  model: 'model',
  modelServed: 'response.model',
  baseModel: 'model_map_information.model_map_key',
  modelRequested: 'model_group',
  provider: 'custom_llm_provider',
  status: 'status',
  httpStatus: 'error_information.error_code',
  usage: 'metadata.usage_object',
  inputTokens: 'prompt_tokens',
  outputTokens: 'completion_tokens',
  // Service tier: what the provider answered with, else what was asked (`model_parameters` are the request's
  // optional params); Anthropic's `service_tier`, `speed` and `inference_geo` also come from the usage object.
  serviceTier: ['response.service_tier', 'model_parameters.service_tier'],
  speed: 'model_parameters.speed',
  webSearchContext: 'standard_built_in_tools_params.web_search_options.search_context_size',
  gatewayCacheHit: 'cache_hit',
  reportedCost: 'response_cost',
});

// Kong 3.8+ logs under ai.proxy; 3.6/3.7 used the plugin name, ai["ai-proxy"]. The docs spell the token
// fields prompt_token/completion_token while the code writes prompt_tokens/completion_tokens: accept both.
const kongAi = (rest: string): string[] => [`ai.proxy.${rest}`, `ai["ai-proxy"].${rest}`];
const kong = (): PresetInput => ({
  requestId: 'request.id',
  startTime: 'started_at',
  durationMs: 'latencies.request',
  user: ['consumer.username', 'consumer.custom_id'],
  apiKeyId: 'authenticated_entity.id',
  team: { path: 'consumer.tags', tag_prefix: 'team:' },
  tier: { path: 'consumer.tags', tag_prefix: 'tier:' },
  model: [...kongAi('meta.response_model'), ...kongAi('meta.request_model')],
  modelRequested: kongAi('meta.request_model'),
  provider: kongAi('meta.provider_name'),
  httpStatus: 'response.status',
  inputTokens: [...kongAi('usage.prompt_tokens'), ...kongAi('usage.prompt_token')],
  outputTokens: [...kongAi('usage.completion_tokens'), ...kongAi('usage.completion_token')],
  // Kong 3.11+ logs the cached part of prompt_tokens (OpenAI semantics: included in it).
  cacheReadTokens: kongAi('usage.prompt_tokens_details.cached_tokens'),
  reportedCost: kongAi('usage.cost'),
});

// Envoy AI Gateway writes whatever keys the operator puts in EnvoyProxy.spec.telemetry.accessLog; its
// docs show genai_* keys and OpenTelemetry-style literal dotted keys. Its input count includes cached
// tokens. User and tier come from request headers the operator adds (x-user-id is the docs' convention).
//
// Red Hat MaaS's Istio gateway (Kuadrant) names the caller in the headers its AuthPolicy injects,
// X-MaaS-Username, X-MaaS-Subscription and X-MaaS-Group, and its own usage log (an EnvoyFilter's OpenTelemetry
// access log) keys them user_id, subscription, groups, beside key_id and key_name (the API key, from
// Kuadrant's auth identity), model and tokens_prompt / tokens_completion / tokens_total (from the response's
// usage): opendatahub-io/models-as-a-service deployment/base/maas-api/policies/auth-policy.yaml and
// deployment/components/observability/usage-logs/envoy-otel-access-log.yaml. An Istio JSON access log that
// uses those keys (docs/formats.md gives the format to paste) is read with format: envoy, the subscription
// as the tier; the header names themselves are accepted as keys too.
const maas = {
  user: ['x-maas-username'],
  tier: ['subscription', 'x-maas-subscription'],
  apiKeyId: ['key_id'],
  apiKeyAlias: ['key_name'],
  model: ['model'],
  inputTokens: ['tokens_prompt'],
  outputTokens: ['tokens_completion'],
};

const envoy = (): PresetInput => ({
  requestId: 'x-request-id',
  startTime: 'start_time',
  durationMs: 'duration',
  user: ['user_id', 'x-user-id', ...maas.user],
  tier: ['tier', 'x-user-tier', ...maas.tier],
  apiKeyId: ['api_key_id', 'x-api-key-id', ...maas.apiKeyId],
  apiKeyAlias: maas.apiKeyAlias,
  model: ['genai_model_name', '["gen_ai.request.model"]', ...maas.model],
  provider: ['genai_backend_name', '["gen_ai.provider.name"]'],
  httpStatus: 'response_code',
  inputTokens: ['genai_tokens_input', '["gen_ai.usage.input_tokens"]', ...maas.inputTokens],
  outputTokens: ['genai_tokens_output', '["gen_ai.usage.output_tokens"]', ...maas.outputTokens],
  cacheReadTokens: ['genai_tokens_cached_input', '["gen_ai.usage.cache_read.input_tokens"]'],
  cacheWriteTokens: ['genai_tokens_cache_creation_input', '["gen_ai.usage.cache_creation.input_tokens"]'],
});

// GenAI spans received on /v1/traces, as parse/otlp/genAiSpans.ts writes them: {"otel_span": {...}, "attributes":
// {...}} with the semantic conventions' literal dotted keys. gen_ai.usage.input_tokens includes cache reads and
// writes (model/gen-ai/registry.yaml: "SHOULD include all types of input tokens, including cached tokens"). The
// completion's id identifies the request when the span has one (two layers instrumenting the same call then
// count once), else the span; the response model is the one billed, the request model a fallback.
const otelAttr = (key: string): string => `attributes["${key}"]`;
const otel = (): PresetInput => ({
  requestId: [otelAttr('gen_ai.response.id'), 'otel_span.id'],
  startTime: 'otel_span.start_time_unix_ms',
  endTime: 'otel_span.end_time_unix_ms',
  user: [otelAttr('user.id'), otelAttr('enduser.id'), otelAttr('metadata.user_api_key_user_id')],
  apiKeyId: otelAttr('metadata.user_api_key_hash'),
  apiKeyAlias: otelAttr('metadata.user_api_key_alias'),
  team: [otelAttr('metadata.user_api_key_team_alias'), otelAttr('metadata.user_api_key_team_id')],
  model: [otelAttr('gen_ai.response.model'), otelAttr('gen_ai.request.model')],
  modelRequested: otelAttr('gen_ai.request.model'),
  provider: [otelAttr('gen_ai.provider.name'), otelAttr('gen_ai.system')],
  status: 'otel_span.status',
  httpStatus: otelAttr('http.response.status_code'),
  inputTokens: [otelAttr('gen_ai.usage.input_tokens'), otelAttr('gen_ai.usage.prompt_tokens')],
  outputTokens: [otelAttr('gen_ai.usage.output_tokens'), otelAttr('gen_ai.usage.completion_tokens')],
  cacheReadTokens: otelAttr('gen_ai.usage.cache_read.input_tokens'),
  cacheWriteTokens: otelAttr('gen_ai.usage.cache_creation.input_tokens'),
  reasoningTokens: otelAttr('gen_ai.usage.reasoning.output_tokens'),
});

type PresetFormat = Exclude<GatewayFormat, 'generic'>;

// Field maps are built when first used too, so that no preset code runs while the module loads.
const PRESET_INPUTS: Record<PresetFormat, { input: () => PresetInput; timeUnit: Mapping['timeUnit'] }> = {
  litellm: { input: litellm, timeUnit: 's' },
  kong: { input: kong, timeUnit: 'ms' },
  envoy: { input: envoy, timeUnit: 'iso' },
  otel: { input: otel, timeUnit: 'ms' },
};

const compiled: Partial<Record<PresetFormat, Mapping>> = {};

/** A preset is compiled on first use, not when this module loads: importing it costs nothing, each use one lookup. */
function preset(format: PresetFormat): Mapping {
  return (compiled[format] ??= compileMapping(PRESET_INPUTS[format].input(), PRESET_INPUTS[format].timeUnit, true));
}

export const PRESETS: Readonly<Record<PresetFormat, Mapping>> = {
  get litellm() {
    return preset('litellm');
  },
  get kong() {
    return preset('kong');
  },
  get envoy() {
    return preset('envoy');
  },
  get otel() {
    return preset('otel');
  },
};

export function compileMapping(
  input: PresetInput,
  timeUnit: Mapping['timeUnit'],
  inputTokensIncludeCache: boolean
): Mapping {
  return { fields: compile(input), timeUnit, inputTokensIncludeCache };
}
