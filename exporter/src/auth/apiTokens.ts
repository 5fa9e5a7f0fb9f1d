import { createHash, timingSafeEqual } from 'node:crypto';
import type { Scope } from '../ledger/queries';

/**
 * What a token may do: `admin` reads everything (API and /metrics), `scoped` reads the API for its team or
 * user only, `ingest` only pushes usage (the push endpoints) and reads nothing: a gateway's credential that
 * leaks shows no one's spend.
 */
export const TOKEN_ROLES = ['admin', 'scoped', 'ingest'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

/** API tokens from the config, stored only as SHA-256 hashes (`tokenledger hash-token` prints one). */
export interface ApiToken {
  name: string;
  sha256: Buffer;
  role: TokenRole;
  /** The team or user a scoped token sees; undefined for the other roles. */
  scope: Scope | undefined;
}

export interface AuthConfig {
  tokens: ApiToken[];
  /** Whether /api/v1 needs a token (default: yes as soon as tokens are configured). */
  api: 'required' | 'open';
  /** Whether /metrics needs an admin token (it shows every user's numbers). */
  metrics: 'required' | 'open';
}

/**
 * Whether a caller may do what only some roles may (an undefined answer: it may); otherwise the status and why,
 * for the caller. With no token configured everything is open, as the API is.
 */
function roleRefusal(
  header: string | undefined,
  auth: AuthConfig,
  roles: readonly TokenRole[],
  action: string
): { status: 401 | 403; error: string } | undefined {
  if (!auth.tokens.length) return undefined;
  const token = authenticate(header, auth.tokens);
  if (!token)
    return {
      status: 401,
      error: `missing or invalid token (send Authorization: Bearer <${roles.join(' or ')} token>)`,
    };
  if (!roles.includes(token.role))
    return {
      status: 403,
      error: `a token of role ${token.role} cannot ${action} (use a token of role ${roles.join(' or ')})`,
    };
  return undefined;
}

/** A push is stored only with an ingest token once tokens are configured (admin and scoped tokens are for reading). */
export const pushRefusal = (header: string | undefined, auth: AuthConfig) =>
  roleRefusal(header, auth, ['ingest'], 'push usage');

/** The enforcement doors answer gateways (ingest tokens) and operators (admin tokens), never a scoped reader. */
export const decisionRefusal = (header: string | undefined, auth: AuthConfig) =>
  roleRefusal(header, auth, ['ingest', 'admin'], 'ask for enforcement decisions');

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
