import type { Decision } from '../decider';

/**
 * What both ext_authz doors share: the body of a denial. Envoy passes a denial's body to the client as it is, so
 * it has the shape OpenAI-compatible clients already parse as an error (`{"error": {"message", "type", "code"}}`),
 * and it names the budget in words, never a key.
 */

export const DENIAL_CONTENT_TYPE = 'application/json';

/** Whether a decision lets the request through: allow and warn answer 200, block 429, failing closed 503. */
export function allows(decision: Decision): boolean {
  return decision.status >= 200 && decision.status < 300;
}

export function denialBody(decision: Decision): string {
  const type = decision.status === 429 ? 'budget_exceeded' : 'budget_unavailable';
  return JSON.stringify({ error: { message: decision.reason, type, code: decision.status } });
}
