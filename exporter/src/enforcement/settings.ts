/**
 * The top-level `enforcement:` section (docs/configuration.md): how long a reservation waits for its usage
 * record, when the ledger's state is too old to decide on, and what a request is assumed to cost before it ran.
 */

/** Tokens a request of a model is assumed to use when its body does not say (max_tokens caps the output). */
export interface TokenEstimate {
  inputTokens: number;
  outputTokens: number;
}

export interface EnforcementSettings {
  /** How long a reservation counts against its budgets when no usage record with its request id arrives. */
  reservationTtlMs: number;
  /** Budget state older than this (the ledger did not answer meanwhile) is stale: budgets' fail policy applies. */
  staleAfterMs: number;
  /** Per model (the name a request gives), and `default` for every other model. */
  estimates: ReadonlyMap<string, TokenEstimate>;
  defaultEstimate: TokenEstimate;
}

export const DEFAULT_ENFORCEMENT: EnforcementSettings = {
  reservationTtlMs: 5 * 60_000,
  staleAfterMs: 30_000,
  estimates: new Map(),
  defaultEstimate: { inputTokens: 1000, outputTokens: 1000 },
};

const DURATION = /^(\d+)(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** `500ms`, `30s`, `5m`, `1h` in milliseconds, or undefined when the text is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : undefined;
}
