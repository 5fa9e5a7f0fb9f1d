import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { AuthConfig } from '../../auth/apiTokens';
import type { Logger } from '../../log';
import type { Decider, Decision } from '../decider';
import { BODY_MEMBERS } from '../subject';
import { allows, DENIAL_CONTENT_TYPE, denialBody } from './answers';
import { checkCaller, HTTP_TOKEN_HEADER } from './callers';
import { readTopLevelFields } from './topLevelFields';
import { bareRecord } from '../../bareRecord';

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

/**
 * Calls `then` with the body, or with undefined when it is larger than `max` (read to the end all the same, so
 * the connection stays). Callbacks rather than a Promise: every forwarded request waits on this.
 */
function readBody(req: IncomingMessage, max: number, then: (body: Buffer | undefined) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= max) chunks.push(chunk);
  });
  req.on('end', () => {
    if (size > max) then(undefined);
    // A forwarded body mostly arrives in one chunk: read from it, not from a copy.
    else then(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
  });
}

/**
 * The client's request as Envoy forwards it: its headers (the ones `allowed_headers` lets through, always
 * `authorization`, `host`, method and path) with the method and original path under the pseudo-header names the
 * gRPC door's CheckRequest carries them, so a decision reads both doors alike.
 */
function forwardedHeaders(req: IncomingMessage, path: string): Record<string, string> {
  // Nothing inherited: a header named __proto__ is a header (and sets nothing).
  const out = bareRecord<string>();
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
  // writeHead's flat [name, value, ...] form: node:http takes it as it is, with no object of all the headers
  // made for the purpose.
  const fields: string[] = [];
  for (const name in headers) fields.push(name, headers[name]!);
  if (body === undefined) {
    fields.push('content-length', '0');
    res.writeHead(status, fields).end();
  } else {
    fields.push('content-type', DENIAL_CONTENT_TYPE, 'content-length', String(Buffer.byteLength(body)));
    res.writeHead(status, fields).end(body);
  }
}

function failed(o: HttpDoorOptions, res: ServerResponse, e: Error): void {
  o.log.error(`ext_authz (HTTP): the decision failed: ${e.message}`);
  const body = JSON.stringify({ error: { message: 'the decision failed; see the TokenLedger log' } });
  if (!res.headersSent) answer(res, 500, {}, body);
}

function decide(o: HttpDoorOptions, req: IncomingMessage, res: ServerResponse, path: string): void {
  const token = req.headers[HTTP_TOKEN_HEADER];
  const caller = checkCaller(o.auth(), Array.isArray(token) ? token[0] : token);
  if (!caller.allowed) {
    req.resume();
    answer(res, caller.status, {}, JSON.stringify({ error: { message: caller.message, type: 'tokenledger_auth' } }));
    return;
  }
  req.on('error', (e) => failed(o, res, e));
  readBody(req, MAX_FORWARDED_BODY_BYTES, (body) => {
    let decision: Promise<Decision>;
    try {
      const headers = forwardedHeaders(req, path);
      decision = o.decider().check({
        requestId: headers['x-request-id'] || undefined,
        headers,
        body: readTopLevelFields(body, BODY_MEMBERS),
      });
    } catch (e) {
      failed(o, res, e as Error);
      return;
    }
    decision.then(
      (d) => {
        try {
          answer(res, d.status, d.headers, allows(d) ? undefined : denialBody(d));
        } catch (e) {
          failed(o, res, e as Error);
        }
      },
      (e: Error) => failed(o, res, e)
    );
  });
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
    else decide(o, req, res, path);
  };
}
