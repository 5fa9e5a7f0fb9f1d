/**
 * Recognises strings that look like credentials, so that no message or excerpt ever repeats one. A guess
 * by shape, used on top of (never instead of) knowing which fields are safe: a raw API key, a bearer or
 * basic header value, a JWT, or a long random-looking token. Hex strings (SHA-256 key hashes, Kong and
 * Envoy request ids) and UUIDs are not secrets and pass.
 */

// Well-known credential prefixes: OpenAI/Anthropic/LiteLLM `sk-`, `sk_live_`, `pk-`, `rk-`; HTTP auth
// schemes; Google `AIza`; GitHub `ghp_`/`gho_`/`ghs_`/`github_pat_`; Slack `xox?-`; Hugging Face `hf_`;
// AWS access key ids; JWTs (`eyJ` is base64 of `{"`).
const SECRET_PREFIX =
  /^(?:(?:sk|pk|rk)[-_]|(?:bearer|basic|token|apikey|api-key)\s|AIza|gh[pousr]_|github_pat_|xox[abprs]-|hf_|A[KS]IA[0-9A-Z]{12}|eyJ)/i;
// A credential embedded in a longer text ("key=sk-...", "Authorization: Bearer ...").
const SECRET_INSIDE = /(?:^|[^A-Za-z0-9])(?:sk-[A-Za-z0-9]|bearer\s+\S)/i;
const ALNUM_RUN = /[A-Za-z0-9]+/g;
const HEX = /^[0-9a-f]+$/i;

/**
 * A run of 16+ letters and digits that mixes upper case, lower case and digits (base62/base64 keys), or a
 * run of 32+ that mixes letters and digits and is not hex. Model names ("Meta-Llama-3.1-70B-Instruct"),
 * dated model ids and hex hashes have no such run.
 */
function hasRandomRun(s: string): boolean {
  for (const run of s.match(ALNUM_RUN) ?? []) {
    if (run.length < 16) continue;
    const upper = /[A-Z]/.test(run);
    const lower = /[a-z]/.test(run);
    const digit = /[0-9]/.test(run);
    if (upper && lower && digit) return true;
    if (run.length >= 32 && digit && (upper || lower) && !HEX.test(run)) return true;
  }
  return false;
}

export function looksLikeSecret(s: string): boolean {
  const t = s.trim();
  return SECRET_PREFIX.test(t) || SECRET_INSIDE.test(t) || hasRandomRun(t);
}
