/**
 * What of a refused line may be kept for diagnosis: its structure and metadata, never request or response
 * content and never a secret. Keys that carry content (messages, prompt, response, ...) or credentials
 * (authorization, api_key, cookie, ...) are replaced by "[removed]". Lines that are not JSON keep nothing.
 */
const CONTENT_KEYS = /^(messages|prompt|prompts|input|inputs|output|outputs|response|responses|choices|content|contents|completion|text|body|payload|request_body|response_body|system|instructions|tools|functions|model_parameters|raw_request|raw_response)$/i;
const SECRET_KEYS = /(authorization|api[-_]?key|apikey|cookie|secret|password|passwd|credential|access[-_]?token|refresh[-_]?token|bearer)/i;
// Hashed or aliased key identities are safe to keep: they are what we store anyway.
const SAFE_KEYS = /^(user_api_key_hash|user_api_key_alias|api_key_id|x-api-key-id)$/i;
const MAX_EXCERPT = 2000;

function redactValue(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redactValue);
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, inner] of Object.entries(v)) {
    out[k] = !SAFE_KEYS.test(k) && (CONTENT_KEYS.test(k) || SECRET_KEYS.test(k)) ? '[removed]' : redactValue(inner);
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
  const json = JSON.stringify(redactValue(parsed));
  return json.length > MAX_EXCERPT ? `${json.slice(0, MAX_EXCERPT)}…` : json;
}
