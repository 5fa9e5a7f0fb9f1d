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
const envoy = (): PresetInput => ({
  requestId: 'x-request-id',
  startTime: 'start_time',
  durationMs: 'duration',
  user: ['user_id', 'x-user-id'],
  tier: ['tier', 'x-user-tier'],
  apiKeyId: ['api_key_id', 'x-api-key-id'],
  model: ['genai_model_name', '["gen_ai.request.model"]'],
  provider: ['genai_backend_name', '["gen_ai.provider.name"]'],
  httpStatus: 'response_code',
  inputTokens: ['genai_tokens_input', '["gen_ai.usage.input_tokens"]'],
  outputTokens: ['genai_tokens_output', '["gen_ai.usage.output_tokens"]'],
  cacheReadTokens: ['genai_tokens_cached_input', '["gen_ai.usage.cache_read.input_tokens"]'],
  cacheWriteTokens: ['genai_tokens_cache_creation_input', '["gen_ai.usage.cache_creation.input_tokens"]'],
});

type PresetFormat = Exclude<GatewayFormat, 'generic'>;

// Field maps are built when first used too, so that no preset code runs while the module loads.
const PRESET_INPUTS: Record<PresetFormat, { input: () => PresetInput; timeUnit: Mapping['timeUnit'] }> = {
  litellm: { input: litellm, timeUnit: 's' },
  kong: { input: kong, timeUnit: 'ms' },
  envoy: { input: envoy, timeUnit: 'iso' },
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
};

export function compileMapping(
  input: PresetInput,
  timeUnit: Mapping['timeUnit'],
  inputTokensIncludeCache: boolean
): Mapping {
  return { fields: compile(input), timeUnit, inputTokensIncludeCache };
}
