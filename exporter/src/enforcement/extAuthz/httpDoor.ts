import { Router } from 'express';
import type { IncomingMessage } from 'node:http';
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
function forwardedHeaders(req: IncomingMessage, originalPath: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || NOT_FORWARDED.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(',') : value;
  }
  out[':method'] = req.method ?? '';
  out[':path'] = originalPath;
  if (out.host !== undefined) out[':authority'] = out.host;
  return out;
}

/**
 * Envoy's ext_authz HTTP mode under /ext_authz: Envoy sends the client's method, `path_prefix` + the original
 * path, the allowed headers and (with `with_request_body`) the body; 200 lets the request through, any other
 * status is a denial Envoy answers the client with, our headers and body included. A 5xx is an error to Envoy
 * (ext_authz_http_impl.cc, `is5xx`): `failure_mode_allow` and `status_on_error` decide what the client gets.
 */
export function httpDoor(o: HttpDoorOptions): Router {
  const router = Router();
  router.use(async (req, res) => {
    const caller = checkCaller(o.auth(), req.header(HTTP_TOKEN_HEADER));
    if (!caller.allowed) {
      res.status(caller.status).json({ error: { message: caller.message, type: 'tokenledger_auth' } });
      return;
    }
    try {
      const body = await readBody(req, MAX_FORWARDED_BODY_BYTES);
      const headers = forwardedHeaders(req, req.url);
      const decision = await o.decider().check({
        requestId: headers['x-request-id'] || undefined,
        headers,
        body: parseJsonBody(body),
      });
      res.status(decision.status).set(decision.headers);
      if (allows(decision)) res.end();
      else res.type(DENIAL_CONTENT_TYPE).send(denialBody(decision));
    } catch (e) {
      o.log.error(`ext_authz (HTTP): the decision failed: ${(e as Error).message}`);
      if (!res.headersSent) res.status(500).json({ error: { message: 'the decision failed; see the TokenLedger log' } });
    }
  });
  return router;
}
