/**
 * The one decision every enforcement door asks (docs: issue #17): Envoy ext_authz over gRPC and HTTP, LiteLLM's
 * Generic Guardrail API and the plain `POST /api/v1/check`. Each door turns its protocol's request into a
 * `CheckRequest` and the `Decision` back into its protocol's answer; none of them decides anything itself.
 */

export type DecisionKind = 'allow' | 'warn' | 'block';

export interface CheckRequest {
  /** The gateway's request id, which the request's usage record will carry: it settles the reservation. */
  requestId: string | undefined;
  /**
   * The request's HTTP headers as the gateway saw them, names lower-cased. Identity (user, API key, team, tier)
   * is read from them through the configured identity map; a raw API key is hashed on arrival, never kept.
   */
  headers: Readonly<Record<string, string | undefined>>;
  /**
   * The request body's top-level members when the door has it (model, max_tokens, user): the whole JSON from the
   * plain and LiteLLM doors, the scalar members only from the ext_authz doors (extAuthz/topLevelFields.ts).
   */
  body: unknown;
}

export interface Decision {
  kind: DecisionKind;
  /** The HTTP status the door answers with: 200 for allow and warn, 429 for block, 503 when failing closed. */
  status: number;
  /** Headers for the answer: `x-ratelimit-*`, `retry-after` on 429, and which budget warned or blocked. */
  headers: Readonly<Record<string, string>>;
  /** Why, in words, for logs and the door's body (never a raw key). */
  reason: string;
}

export interface Decider {
  check(request: CheckRequest): Promise<Decision>;
}
