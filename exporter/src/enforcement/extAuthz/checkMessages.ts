import type { CheckRequest, Decision } from '../decider';
import { allows, DENIAL_CONTENT_TYPE, denialBody, parseJsonBody } from './answers';
import { OVERWRITE_IF_EXISTS_OR_ADD, RpcCode } from './protos';

/**
 * Envoy's CheckRequest into the decision's CheckRequest, and the Decision into Envoy's CheckResponse. The message
 * shapes are protobufjs plain objects of ./protos.ts (field names as in the .proto, snake_case).
 */

interface HeaderValue {
  key?: string;
  value?: string;
  raw_value?: Uint8Array;
}

export interface HttpRequestAttributes {
  id?: string;
  method?: string;
  headers?: Record<string, string>;
  header_map?: { headers?: HeaderValue[] };
  path?: string;
  host?: string;
  body?: string;
  raw_body?: Uint8Array;
}

export interface CheckRequestMessage {
  attributes?: {
    request?: { http?: HttpRequestAttributes };
    context_extensions?: Record<string, string>;
  };
}

interface HeaderValueOption {
  header: { key: string; value: string };
  append_action: number;
}

export interface CheckResponseMessage {
  status: { code: number; message?: string };
  ok_response?: { headers: HeaderValueOption[]; response_headers_to_add: HeaderValueOption[] };
  denied_response?: { status: { code: number }; headers: HeaderValueOption[]; body: string };
}

/**
 * The request's headers, names lower-cased. Envoy sends either `headers` (a map, repeated headers joined) or,
 * with `encode_raw_headers: true`, `header_map` (repeated entries with `raw_value` bytes), joined here with a
 * comma as RFC 9110 5.3 combines field lines.
 */
function headersOf(http: HttpRequestAttributes): Readonly<Record<string, string>> {
  const entries = http.header_map?.headers;
  // The decoded message's own map, read only from here on: not copied for every decision.
  if (!entries?.length) return http.headers ?? {};
  const out: Record<string, string> = {};
  for (const h of entries) {
    if (!h.key) continue;
    const key = h.key.toLowerCase();
    const value = h.raw_value?.length ? Buffer.from(h.raw_value).toString('utf8') : (h.value ?? '');
    out[key] = key in out ? `${out[key]},${value}` : value;
  }
  return out;
}

export function toCheckRequest(message: CheckRequestMessage): CheckRequest {
  const http = message.attributes?.request?.http ?? {};
  const headers = headersOf(http);
  // With `pack_as_bytes: true` Envoy sends the body in raw_body instead of body.
  const body = http.raw_body?.length ? Buffer.from(http.raw_body).toString('utf8') : http.body;
  return {
    // Not http.id: Envoy fills it with its internal stream id (check_request_utils.cc, `set_id(std::to_string(
    // stream_id))`), which no usage record carries; the x-request-id header is what the gateway logs.
    requestId: headers['x-request-id'] || undefined,
    headers,
    body: parseJsonBody(body),
  };
}

/** google.rpc.Code for a denial's HTTP status, after the HTTP mapping documented in google/rpc/code.proto. */
function rpcCodeFor(status: number): number {
  if (status === 429) return RpcCode.RESOURCE_EXHAUSTED;
  if (status === 401) return RpcCode.UNAUTHENTICATED;
  if (status === 403) return RpcCode.PERMISSION_DENIED;
  if (status === 503) return RpcCode.UNAVAILABLE;
  if (status >= 400 && status < 500) return RpcCode.FAILED_PRECONDITION;
  return RpcCode.INTERNAL;
}

function headerOptions(headers: Readonly<Record<string, string>>): HeaderValueOption[] {
  // OVERWRITE_IF_EXISTS_OR_ADD: a client cannot preset the headers the decision sets. Older Envoys read only the
  // deprecated `append` flag, whose default in ext_authz answers is false: the same overwrite.
  return Object.entries(headers).map(([key, value]) => ({
    header: { key, value },
    append_action: OVERWRITE_IF_EXISTS_OR_ADD,
  }));
}

/**
 * Allow and warn: status OK, the decision's headers (`x-ratelimit-*`, which budget warned) added to the request
 * sent upstream and to the response the client gets. Block and failing closed: a denial with the decision's HTTP
 * status (429, 503), its headers (`retry-after`) and a JSON body, and the google.rpc.Code of that status.
 */
export function toCheckResponse(decision: Decision): CheckResponseMessage {
  const headers = headerOptions(decision.headers);
  if (allows(decision)) {
    return { status: { code: RpcCode.OK }, ok_response: { headers, response_headers_to_add: headers } };
  }
  return {
    status: { code: rpcCodeFor(decision.status), message: decision.reason },
    denied_response: {
      status: { code: decision.status },
      headers: [...headers, ...headerOptions({ 'content-type': DENIAL_CONTENT_TYPE })],
      body: denialBody(decision),
    },
  };
}
