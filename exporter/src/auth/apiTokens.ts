import { createHash, timingSafeEqual } from 'node:crypto';
import type { Scope } from '../ledger/queries';

/**
 * API tokens from the config, stored only as SHA-256 hashes (`tokenledger hash-token` prints one). A token
 * is either admin (sees everything) or scoped to a team or a user (sees only those rows, everywhere).
 */
export interface ApiToken {
  name: string;
  sha256: Buffer;
  /** Undefined for admin tokens. */
  scope: Scope | undefined;
}

export interface AuthConfig {
  tokens: ApiToken[];
  /** Whether /api/v1 needs a token (default: yes as soon as tokens are configured). */
  api: 'required' | 'open';
  /** Whether /metrics needs an admin token (it shows every user's numbers). */
  metrics: 'required' | 'open';
}

export const OPEN_AUTH: AuthConfig = { tokens: [], api: 'open', metrics: 'open' };

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The token an `Authorization: Bearer ...` header carries, if it is one of ours. Constant-time compare. */
export function authenticate(header: string | undefined, tokens: readonly ApiToken[]): ApiToken | undefined {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!m) return undefined;
  const digest = createHash('sha256').update(m[1]!, 'utf8').digest();
  let found: ApiToken | undefined;
  for (const t of tokens) if (timingSafeEqual(digest, t.sha256)) found = t; // no early exit: same time for every token
  return found;
}
