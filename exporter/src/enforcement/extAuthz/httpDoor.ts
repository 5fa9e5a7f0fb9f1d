import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { AuthConfig } from '../../auth/apiTokens';
import type { Logger } from '../../log';
import type { Decider } from '../decider';
import { allows, DENIAL_CONTENT_TYPE, denialBody, parseJsonBody } from './answers';
import { checkCaller, HTTP_TOKEN_HEADER } from './callers';

/** Where the HTTP door answers on serve's listen address (Envoy `http_service.path_prefix`). */
export const HTTP_DOOR_PATH = '/ext_authz';

/**
 * Largest forwarded body read. Envoy sends at most its `max_request_bytes`; a larger one is decided on without
 * its body (the per-model estimate) rather than refused, which Envoy would pass to the client as a denial.
 */
export const MAX_FORWARDED_BODY_BYTES = 8 * 1024 * 1024;

/** Headers of the call to this door, not of the client's request: not shown to the decision. */
const NOT_FORWARDED = new Set([HTTP_TOKEN_HEADER, 'content-length', 'connection', 'transfer-encoding', 'keep-alive']);

export interface HttpDoorOptions {
  decider: () => Decider;
  auth: () => AuthConfig;
  log: Logger;
}

/** The client's original path when `url` is this door's (`/ext_authz` + the path), else undefined. */
export function originalPath(url: string | undefined): string | undefined {
  if (!url?.startsWith(HTTP_DOOR_PATH)) return undefined;
  const rest = url.slice(HTTP_DOOR_PATH.length);
  if (rest === '') return '/';
  if (rest.startsWith('/')) return rest;
  return rest.startsWith('?') ? `/${rest}` : undefined;
}

/** The body, or undefined when it is larger than `max` (read to the end all the same, so the connection stays). */
function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > max ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * The client's request as Envoy forwards it: its headers (the ones `allowed_headers` lets through, always
 * `authorization`, `host`, method and path) with the method and original path under the pseudo-header names the
 * gRPC door's CheckRequest carries them, so a decision reads both doors alike.
 */
function forwardedHeaders(req: IncomingMessage, path: string): Record<string, string> {
  const out: Record<string, string> = {};
  const headers = req.headers;
  // for-in over node's own header object: no [name, value] array per header and request (Object.entries).
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || NOT_FORWARDED.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(',') : value;
  }
  out[':method'] = req.method ?? '';
  out[':path'] = path;
  if (out.host !== undefined) out[':authority'] = out.host;
  return out;
}

function answer(res: ServerResponse, status: number, headers: Readonly<Record<string, string>>, body?: string): void {
  if (body === undefined) res.writeHead(status, { ...headers, 'content-length': '0' }).end();
  else
    res
      .writeHead(status, { ...headers, 'content-type': DENIAL_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) })
      .end(body);
}

async function decide(o: HttpDoorOptions, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const token = req.headers[HTTP_TOKEN_HEADER];
  const caller = checkCaller(o.auth(), Array.isArray(token) ? token[0] : token);
  if (!caller.allowed) {
    req.resume();
    answer(res, caller.status, {}, JSON.stringify({ error: { message: caller.message, type: 'tokenledger_auth' } }));
    return;
  }
  try {
    const body = await readBody(req, MAX_FORWARDED_BODY_BYTES);
    const headers = forwardedHeaders(req, path);
    const decision = await o.decider().check({
      requestId: headers['x-request-id'] || undefined,
      headers,
      body: parseJsonBody(body),
    });
    answer(res, decision.status, decision.headers, allows(decision) ? undefined : denialBody(decision));
  } catch (e) {
    o.log.error(`ext_authz (HTTP): the decision failed: ${(e as Error).message}`);
    const body = JSON.stringify({ error: { message: 'the decision failed; see the TokenLedger log' } });
    if (!res.headersSent) answer(res, 500, {}, body);
  }
}

/**
 * Envoy's ext_authz HTTP mode under /ext_authz, in front of `rest` (serve's Express app), which answers every
 * other path. Envoy sends the client's method, `path_prefix` + the original path, the allowed headers and (with
 * `with_request_body`) the body; 200 lets the request through, any other status is a denial Envoy answers the
 * client with, our headers and body included. A 5xx is an error to Envoy (ext_authz_http_impl.cc, `is5xx`):
 * `failure_mode_allow` and `status_on_error` decide what the client gets. Answered on node:http directly, not
 * through Express: every proxied request waits for this answer, and Express's routing costs several times
 * what the door does (bench/README.md, "Decisions").
 */
export function withHttpDoor(rest: RequestListener, o: HttpDoorOptions): RequestListener {
  return (req, res) => {
    const path = originalPath(req.url);
    if (path === undefined) rest(req, res);
    else void decide(o, req, res, path);
  };
}
