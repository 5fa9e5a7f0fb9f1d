import * as crypto from 'node:crypto';
import { apiKeyLabel } from '../ledger/keys';
import type { Dimension } from '../ledger/queries';
import type { IdentityMap } from '../pricing/identityMap';
import type { CheckRequest } from './decider';

/**
 * Who a request is for, in the ledger's own terms: the values its usage record will have in each dimension,
 * so the budgets that will be charged are the ones checked. Missing values stay undefined.
 */
export type Subject = Partial<Record<Dimension, string>>;

/**
 * The headers a gateway sends identity in (docs/enforcement.md). `x-user-id`, `x-user-tier` and `x-api-key-id`
 * are what the Envoy preset reads from access logs, so one header convention serves both sides.
 */
export const SUBJECT_HEADERS = {
  user: 'x-user-id',
  team: 'x-team-id',
  tier: 'x-user-tier',
  /** An API key's hash or credential id, as the usage records carry it. */
  apiKeyId: 'x-api-key-id',
  apiKeyAlias: 'x-api-key-alias',
  model: 'x-model',
} as const;

/**
 * SHA-256 (hex) of a raw API key: the hash LiteLLM logs as user_api_key_hash, so both name the key alike.
 * Hashed again on every request rather than remembered: a cache would have to be looked up by the raw key (or
 * a weaker hash of it) and keep it in memory; one-shot `crypto.hash` (Node 20.12+) costs ~0.5 µs, a Hash
 * object ~4 µs (bench/README.md, "Decisions").
 */
export const hashApiKey: (raw: string) => string =
  typeof crypto.hash === 'function'
    ? (raw) => crypto.hash('sha256', raw, 'hex')
    : (raw) => crypto.createHash('sha256').update(raw, 'utf8').digest('hex');

const BEARER = /^Bearer\s+\S+\s*$/i;

/**
 * The key a request authenticates with, hashed at once: `Authorization: Bearer <key>` or `x-api-key: <key>`
 * (Anthropic's header). The raw key is not kept anywhere, not even in the returned value.
 */
function hashedKeyOf(headers: CheckRequest['headers']): string | undefined {
  const auth = headers.authorization;
  // `test` and a slice rather than a capture: no match array on every request. trim() removes what \s matches.
  const bearer = auth && BEARER.test(auth) ? auth.slice('Bearer'.length).trim() : undefined;
  const raw = bearer ?? headers['x-api-key'];
  return raw ? hashApiKey(raw) : undefined;
}

const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function bodyField(body: unknown, key: string): unknown {
  return body !== null && typeof body === 'object' && !Array.isArray(body)
    ? (body as Record<string, unknown>)[key]
    : undefined;
}

/**
 * The request's subject from its headers, else its body (OpenAI's `user` and `model`), filled through the
 * identity map exactly as a log record is (pricing/identityMap.ts), so a key's owner, team and tier match.
 */
export function resolveSubject(request: CheckRequest, identities: IdentityMap): Subject {
  const h = request.headers;
  const id = {
    user: nonEmpty(h[SUBJECT_HEADERS.user]) ?? nonEmpty(bodyField(request.body, 'user')),
    apiKeyId: nonEmpty(h[SUBJECT_HEADERS.apiKeyId]) ?? hashedKeyOf(h),
    apiKeyAlias: nonEmpty(h[SUBJECT_HEADERS.apiKeyAlias]),
    team: nonEmpty(h[SUBJECT_HEADERS.team]),
    tier: nonEmpty(h[SUBJECT_HEADERS.tier]),
  };
  identities.apply(id);
  const subject: Subject = {};
  if (id.user !== undefined) subject.user = id.user;
  if (id.team !== undefined) subject.team = id.team;
  if (id.tier !== undefined) subject.tier = id.tier;
  if (id.apiKeyId !== undefined || id.apiKeyAlias !== undefined) subject.apiKey = apiKeyLabel(id);
  const model = nonEmpty(bodyField(request.body, 'model')) ?? nonEmpty(h[SUBJECT_HEADERS.model]);
  if (model !== undefined) subject.model = model;
  return subject;
}

/** The body members that cap a request's output (OpenAI chat, responses and Anthropic spellings), first first. */
const MAX_OUTPUT_MEMBERS = ['max_completion_tokens', 'max_tokens', 'max_output_tokens'];

/** Every body member a decision reads: a door that reads a body's members itself reads only these. */
export const BODY_MEMBERS: readonly string[] = ['model', 'user', ...MAX_OUTPUT_MEMBERS];

/** Output tokens the request's body caps its answer at. */
export function maxOutputTokens(body: unknown): number | undefined {
  for (const key of MAX_OUTPUT_MEMBERS) {
    const v = bodyField(body, key);
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  }
  return undefined;
}
