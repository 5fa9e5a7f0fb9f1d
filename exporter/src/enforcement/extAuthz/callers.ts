import { AuthConfig, decisionRefusal } from '../../auth/apiTokens';

/** Whether a caller may ask a door for decisions, and if not, the HTTP status and words that say why. */
export type CallerVerdict = { allowed: true } | { allowed: false; status: 401 | 403; message: string };

/**
 * The header the HTTP door reads the caller's token from. Not `Authorization`: Envoy always forwards the client's
 * own Authorization header (the LLM API key, which the decision reads as identity) to an HTTP authorization
 * service, so the proxy's token travels beside it (Envoy: `authorization_request.headers_to_add`).
 */
export const HTTP_TOKEN_HEADER = 'x-tokenledger-authorization';

/**
 * The context extension the gRPC door reads the token from when the `authorization` metadata is absent: Envoy
 * Gateway cannot add gRPC metadata but sends context extensions, with a value from a Secret (SecurityPolicy
 * `extAuth.contextExtensions`, v1.7 and later).
 */
export const TOKEN_CONTEXT_EXTENSION = 'tokenledger_token';

/**
 * The token model of every door (apiTokens' decisionRefusal): open while no token is configured; once any is, an
 * ingest token (the gateway's) or an admin token. `auth.api: open` does not open the doors: it is about reading
 * the API. `presented` is an `Authorization`-style value.
 */
export function checkCaller(auth: AuthConfig, presented: string | undefined): CallerVerdict {
  const refusal = decisionRefusal(presented, auth);
  return refusal ? { allowed: false, status: refusal.status, message: refusal.error } : { allowed: true };
}
