import type { HeaderField } from './hpack';
import { bareRecord } from '../../../bareRecord';

/**
 * A request's header fields by name (lower case, as HTTP/2 carries them), pseudo-header fields included
 * (":method", ":path", ...). A name sent twice holds its values joined by ", " (RFC 9110 5.3), "cookie" by "; "
 * (RFC 9113 8.2.3). No prototype: a field named "__proto__" is just a field.
 */
export type RequestHeaders = Readonly<Record<string, string | undefined>>;

/** Fields that are about one connection, and so not in HTTP/2 (RFC 9113 8.2.2). */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);
const REQUEST_PSEUDO = new Set([':method', ':scheme', ':authority', ':path']);

/** An upper-case letter (A-Z), which no field name may hold in HTTP/2 (RFC 9113 8.2.1). */
const UPPER_CASE = /[A-Z]/;

/**
 * The fields of a request's HEADERS as RequestHeaders, or why the request is malformed (RFC 9113 8.1.1: the
 * stream ends with PROTOCOL_ERROR): an upper-case name, a pseudo-header field that is not a request's, repeated or
 * after a regular field, a connection-specific field, "te" other than "trailers", or no ":method", ":scheme" or
 * ":path" (8.3.1; CONNECT, which has none of the last two, is no request a gRPC server answers).
 */
export function requestHeaders(fields: readonly HeaderField[]): RequestHeaders | string {
  const headers = bareRecord<string | undefined>();
  let regularSeen = false;
  for (const [name, value] of fields) {
    if (UPPER_CASE.test(name)) return `field name "${name}" is not lower case`;
    if (name.startsWith(':')) {
      if (!REQUEST_PSEUDO.has(name)) return `"${name}" is not a request pseudo-header field`;
      if (regularSeen) return `pseudo-header field "${name}" after a regular field`;
      if (headers[name] !== undefined) return `pseudo-header field "${name}" repeated`;
      headers[name] = value;
      continue;
    }
    regularSeen = true;
    if (CONNECTION_SPECIFIC.has(name)) return `connection-specific field "${name}"`;
    if (name === 'te' && value !== 'trailers') return `"te: ${value}" (only "trailers" is allowed)`;
    const before = headers[name];
    headers[name] = before === undefined ? value : `${before}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  for (const required of [':method', ':scheme', ':path'])
    if (headers[required] === undefined) return `no "${required}" pseudo-header field`;
  return headers;
}

/** Whether a trailer section is well formed: no pseudo-header field (RFC 9113 8.1). */
export function trailersMalformation(fields: readonly HeaderField[]): string | undefined {
  for (const [name] of fields) {
    if (name.startsWith(':')) return `pseudo-header field "${name}" in trailers`;
    if (UPPER_CASE.test(name)) return `field name "${name}" is not lower case`;
  }
  return undefined;
}
