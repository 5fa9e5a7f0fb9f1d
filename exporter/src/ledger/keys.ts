import { UNKNOWN } from './schema';

/** The idempotency key of a record: the same request read twice, from any file, gets the same key. */
export function recordKey(source: string, requestId: string): string {
  return `${source}:${requestId}`;
}

/** The api_key dimension and label: the alias, else a 12-character prefix of the key's hash or id. */
export function apiKeyLabel(r: { apiKeyAlias: string | undefined; apiKeyId: string | undefined }): string {
  return r.apiKeyAlias ?? (r.apiKeyId !== undefined ? r.apiKeyId.slice(0, 12) : UNKNOWN);
}
