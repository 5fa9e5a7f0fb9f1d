import { looksLikeSecret } from '../parse/secrets';

/**
 * What of a refused line may be kept for diagnosis (the reject file's and table's `excerpt`): its shape
 * and its identity/routing/usage metadata, never request or response content and never a secret.
 *
 * The rule is an allow-list, applied at every depth of a JSON line:
 * - keys are kept (so the structure stays readable), except a key that is itself over 100 characters or
 *   looks like a credential, which becomes "[removed key N]";
 * - numbers, booleans and null are kept;
 * - a string is kept only when all of these hold, else it becomes "[removed]":
 *   1. its key (for a string inside an array, the array's key) is a known-safe field: an id (`id`,
 *      `*_id`, `*Id`, `x-request-id`, ...), a key hash (`*_hash`), a model, provider or route name, a
 *      user, team, org, tier, alias or tag, a timestamp, a status or error code, `call_type`, a log level
 *      (SAFE_KEYS below; spelling variants such as startTime/start_time match alike);
 *   2. it is at most 200 characters long;
 *   3. it does not look like a credential (parse/secrets.ts: `sk-`, `Bearer `, a JWT, a long
 *      mixed-case random token; hex hashes and UUIDs pass).
 * - the whole value of a content key (messages, prompt, response, ...) or a credential key
 *   (authorization, x-api-key, password, access_token, ...) becomes "[removed]", whatever its type
 *   (null stays null: it says there was nothing).
 * Everything else (error texts, free-form metadata, headers, URLs) is removed: a field the list does not
 * know is lost from the excerpt, never leaked. Lines that are not JSON keep nothing.
 */
const CONTENT_KEYS =
  /^(messages|message|prompt|prompts|input|inputs|output|outputs|response|responses|choices|content|contents|completion|text|body|payload|request_body|response_body|system|instructions|tools|functions|model_parameters|raw_request|raw_response|query|error_str|traceback)$/i;
// Anchored at the end of the key, so identity fields such as user_api_key_user_id are not credentials.
const CREDENTIAL_KEYS =
  /(^|[-_.])(authorization|proxy-authorization|api[-_]?key|apikey|(secret|private|access)[-_]?key|cookie|set-cookie|password|passwd|secret|client[-_]secret|credentials?|bearer)$|^(token|.*(access|refresh|id|auth|session|api|bearer|security|csrf|xsrf)[-_]?token)$/i;

/**
 * Fields whose string values are identity, routing or usage metadata, compared without case and without
 * `_`, `-`, `.`, `:`, `@` (so `startTime`, `start_time` and `@timestamp`/`timestamp` match). Sources:
 * what presets.ts reads, LiteLLM's StandardLoggingPayload and its metadata, Kong's file-log
 * (request.id, consumer, authenticated_entity, route/service names, ai.proxy.meta) and Envoy AI Gateway's
 * access-log presets.
 */
const SAFE_KEYS = new Set(
  [
    // ids (more by the suffix rule below)
    'id',
    'uuid',
    'x-request-id',
    'request_id',
    'trace_id',
    'span_id',
    'litellm_call_id',
    'session_id',
    'custom_id',
    // key identities: hashes and aliases, never the key
    'user_api_key_hash',
    'user_api_key_alias',
    'key_alias',
    'key_name',
    'token_hash',
    'hashed_api_key',
    // who
    'user',
    'username',
    'end_user',
    'user_api_key_user_email',
    'user_email',
    'x-user-id',
    'consumer',
    'team',
    'team_alias',
    'team_name',
    'user_api_key_team_alias',
    'org',
    'organization',
    'org_alias',
    'user_api_key_org_alias',
    'tier',
    'x-user-tier',
    'plan',
    'alias',
    'tags',
    'request_tags',
    'workspace',
    'workspace_name',
    // what and where
    'model',
    'model_group',
    'model_name',
    'request_model',
    'response_model',
    'model_map_key',
    'genai_model_name',
    'genai_model_name_override',
    'gen_ai.request.model',
    'gen_ai.response.model',
    'provider',
    'provider_name',
    'custom_llm_provider',
    'llm_provider',
    'genai_backend_name',
    'gen_ai.provider.name',
    'gen_ai.system',
    'gen_ai.operation.name',
    'call_type',
    'request_mode',
    'route_name',
    'user_api_key_request_route',
    'upstream_cluster',
    ':authority',
    'host',
    'method',
    'protocol',
    'source',
    'level',
    'route.name',
    'service.name',
    'cache_key',
    // when
    'startTime',
    'endTime',
    'completionStartTime',
    'started_at',
    'start_time',
    'end_time',
    'timestamp',
    'time',
    'ts',
    'created',
    'created_at',
    'date',
    // outcome
    'status',
    'status_code',
    'response_code',
    'response_flags',
    'upstream_status',
    'error_code',
    'error_class',
    'error_type',
    'finish_reason',
    'stop_reason',
    'cache_hit',
  ].map(normalize)
);
// Identifiers and hashes by name: user_api_key_team_id, consumer_id, x-api-key-id, modelId, cache_key_hash, ...
const SAFE_SUFFIX = /(^|[-_.])(id|ids|uuid|hash)$|[a-z0-9](Id|Ids|ID|Hash)$/;
const MAX_KEY = 100;
const MAX_STRING = 200;
const MAX_EXCERPT = 2000;
const REMOVED = '[removed]';

function normalize(key: string): string {
  return key.toLowerCase().replace(/[-_.:@\s]/g, '');
}

function isSafeKey(key: string, parent: string | undefined): boolean {
  if (SAFE_SUFFIX.test(key) && !CREDENTIAL_KEYS.test(key)) return true;
  const k = normalize(key);
  return SAFE_KEYS.has(k) || (parent !== undefined && SAFE_KEYS.has(normalize(parent) + k));
}

function keepString(s: string, key: string | undefined, parent: string | undefined): boolean {
  return key !== undefined && s.length <= MAX_STRING && isSafeKey(key, parent) && !looksLikeSecret(s);
}

/** `key`: the key holding `v` (undefined at the top level); `parent`: the key holding that object. */
function redactValue(v: unknown, key: string | undefined, parent: string | undefined): unknown {
  if (typeof v === 'string') return keepString(v, key, parent) ? v : REMOVED;
  if (Array.isArray(v)) return v.map((item) => redactValue(item, key, parent));
  if (typeof v !== 'object' || v === null) return v;
  // No prototype: a "__proto__" key in the line is then an ordinary key, not a prototype change.
  const out = Object.create(null) as Record<string, unknown>;
  let removedKeys = 0;
  for (const [k, inner] of Object.entries(v)) {
    const name = k.length > MAX_KEY || looksLikeSecret(k) ? `[removed key ${++removedKeys}]` : k;
    const collapse = inner !== null && (CONTENT_KEYS.test(k) || (CREDENTIAL_KEYS.test(k) && !isSafeKey(k, key)));
    out[name] = collapse ? REMOVED : redactValue(inner, k, key);
  }
  return out;
}

export function redactedExcerpt(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  let json: string;
  try {
    json = JSON.stringify(redactValue(parsed, undefined, undefined));
  } catch {
    return undefined; // nested too deeply to walk: keep nothing rather than fail the batch
  }
  return json.length > MAX_EXCERPT ? `${json.slice(0, MAX_EXCERPT)}…` : json;
}
