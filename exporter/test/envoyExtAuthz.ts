import * as grpc from '@grpc/grpc-js';
import { IncomingHttpHeaders, request } from 'node:http';
import type { CheckRequest, Decider, Decision } from '../src/enforcement/decider';
import { HTTP_TOKEN_HEADER } from '../src/enforcement/extAuthz/callers';
import type { CheckRequestMessage, CheckResponseMessage } from '../src/enforcement/extAuthz/checkMessages';
import { authorizationService } from '../src/enforcement/extAuthz/grpcDoor';

/**
 * Envoy's two ways of asking an external authorization service, as its ext_authz filter builds them
 * (envoyproxy/envoy source/extensions/filters/common/ext_authz/check_request_utils.cc for the gRPC CheckRequest,
 * ext_authz_http_impl.cc for the HTTP call), and decisions shaped as the doors' Decider answers them.
 */

/** A client's request as it reached Envoy. */
export interface ClientRequest {
  method: string;
  path: string;
  host: string;
  /** Lower-case names; Envoy's HTTP connection manager has added x-request-id. */
  headers: Record<string, string>;
  body?: string;
}

export const CHAT_REQUEST: ClientRequest = {
  method: 'POST',
  path: '/v1/chat/completions',
  host: 'llm.example.com',
  headers: {
    authorization: 'Bearer sk-client-key-0001',
    'content-type': 'application/json',
    'x-request-id': '2f1c9a4e-7d0b-4a52-9d3e-5b8f0c1a2e77',
    'x-user-id': 'alice',
  },
  body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 256, messages: [{ role: 'user', content: 'hi' }] }),
};

/**
 * The CheckRequest Envoy sends with `with_request_body` set: the stream id (not x-request-id) as http.id, the
 * pseudo-headers and every request header in the headers map, the body as a string (or raw_body bytes with
 * `pack_as_bytes`, or header_map with `encode_raw_headers`), `x-envoy-auth-partial-body` saying whether it is cut.
 */
export function envoyCheckRequest(
  r: ClientRequest,
  o: { packAsBytes?: boolean; encodeRawHeaders?: boolean; contextExtensions?: Record<string, string> } = {}
): CheckRequestMessage {
  const headers: Record<string, string> = {
    ':authority': r.host,
    ':path': r.path,
    ':method': r.method,
    ':scheme': 'http',
    ...r.headers,
  };
  if (r.body !== undefined) {
    headers['content-length'] = String(Buffer.byteLength(r.body));
    headers['x-envoy-auth-partial-body'] = 'false';
  }
  const http: NonNullable<NonNullable<CheckRequestMessage['attributes']>['request']>['http'] = {
    id: '14285628718403525633',
    method: r.method,
    path: r.path,
    host: r.host,
  };
  if (o.encodeRawHeaders)
    http.header_map = {
      headers: Object.entries(headers).map(([key, value]) => ({ key, raw_value: Buffer.from(value) })),
    };
  else http.headers = headers;
  if (r.body !== undefined) {
    if (o.packAsBytes) http.raw_body = Buffer.from(r.body);
    else http.body = r.body;
  }
  return { attributes: { request: { http }, context_extensions: o.contextExtensions ?? {} } };
}

type CheckMethod = (
  request: CheckRequestMessage,
  metadata: grpc.Metadata,
  callback: (e: grpc.ServiceError | null, response?: CheckResponseMessage) => void
) => void;

/** A grpc-js client of envoy.service.auth.v3.Authorization over our protos. */
export class AuthorizationClient {
  private readonly client: grpc.Client;

  constructor(port: number) {
    const Client = grpc.makeGenericClientConstructor(authorizationService(), 'Authorization');
    this.client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  }

  check(request: CheckRequestMessage, metadata = new grpc.Metadata()): Promise<CheckResponseMessage> {
    return new Promise((resolve, reject) => {
      // makeGenericClientConstructor's methods are not typed per service.
      const client = this.client as unknown as { Check: CheckMethod };
      const check = client.Check.bind(this.client);
      check(request, metadata, (e, res) => (e ? reject(e) : resolve(res!)));
    });
  }

  close(): void {
    this.client.close();
  }
}

/** The google.rpc.Code of a CheckResponse: proto3 leaves a 0 (OK) off the wire, so it decodes as absent. */
export function rpcCodeOf(response: CheckResponseMessage): number {
  return response.status?.code ?? 0;
}

export function bearerMetadata(token: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
}

/**
 * The call Envoy's HTTP mode makes: the client's method, `path_prefix` + the original path, the headers
 * `allowed_headers` lets through plus authorization, host, method and path always, `headers_to_add` (here the
 * TokenLedger token), and the body with its content-length when `with_request_body` is set.
 */
export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export function envoyHttpCheck(
  base: string,
  r: ClientRequest,
  o: { pathPrefix?: string; token?: string; allowedHeaders?: string[] } = {}
): Promise<HttpAnswer> {
  const allowed = new Set(['authorization', ...(o.allowedHeaders ?? Object.keys(r.headers))]);
  // node:http, not fetch: Envoy sends the client's Host, which fetch does not let a caller set.
  const headers: Record<string, string> = { host: r.host };
  for (const [k, v] of Object.entries(r.headers)) if (allowed.has(k)) headers[k] = v;
  if (o.token) headers[HTTP_TOKEN_HEADER] = `Bearer ${o.token}`;
  if (r.body !== undefined) headers['content-length'] = String(Buffer.byteLength(r.body));
  else headers['content-length'] = '0';
  return new Promise((resolve, reject) => {
    const req = request(`${base}${o.pathPrefix ?? '/ext_authz'}${r.path}`, { method: r.method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') })
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(r.body);
  });
}

/** The decisions the doors map, shaped as the decision engine gives them. */
export const DECISIONS = {
  allow: {
    kind: 'allow',
    status: 200,
    headers: { 'x-ratelimit-limit': '50.00', 'x-ratelimit-remaining': '12.34', 'x-ratelimit-reset': '86400' },
    reason: 'within every budget',
  },
  warn: {
    kind: 'warn',
    status: 200,
    headers: {
      'x-ratelimit-limit': '50.00',
      'x-ratelimit-remaining': '1.20',
      'x-ratelimit-reset': '86400',
      'x-tokenledger-warning': 'team ml monthly is over its limit (warn)',
    },
    reason: 'team ml monthly is over its limit (warn)',
  },
  block: {
    kind: 'block',
    status: 429,
    headers: {
      'x-ratelimit-limit': '50.00',
      'x-ratelimit-remaining': '0',
      'x-tokenledger-budget': 'team/ml/monthly',
      'retry-after': '86400',
    },
    reason: 'team ml monthly budget exhausted',
  },
  failClosed: {
    kind: 'block',
    status: 503,
    headers: { 'retry-after': '30' },
    reason: 'budget state is stale and team ml monthly fails closed',
  },
} satisfies Record<string, Decision>;

/** Our own Decider interface answering what the test sets, keeping what it was asked. */
export class ScriptedDecider implements Decider {
  readonly asked: CheckRequest[] = [];
  constructor(public answer: Decision | Error) {}

  check(request: CheckRequest): Promise<Decision> {
    this.asked.push(request);
    return this.answer instanceof Error ? Promise.reject(this.answer) : Promise.resolve(this.answer);
  }
}
