import express, { Express, RequestHandler, Router } from 'express';
import { createServer, RequestListener, Server } from 'node:http';
import { AuthConfig, authenticate } from '../auth/apiTokens';
import { ConfigError } from '../config/reader';
import type { ExporterMetrics } from '../metrics/exporterMetrics';
import { QueueFullError, Semaphore } from '../semaphore';

/**
 * API requests handled at once, and how many more may wait: beyond that an API request is answered 503 with
 * Retry-After at once rather than queued without end (the ledger runs READ_CONNECTIONS queries at a time).
 */
export const API_CONCURRENCY = 8;
export const API_MAX_QUEUED = 100;
const RETRY_AFTER_SECONDS = 1;

/** Admits requests through `slots`; a request whose client left while it waited is not run. */
function admission(slots: Semaphore): RequestHandler {
  return (_req, res, next) => {
    let gone = false;
    const leave = () => (gone = true);
    res.once('close', leave);
    slots.acquire().then(
      (release) => {
        res.off('close', leave);
        if (gone) return release();
        res.once('close', release);
        next();
      },
      (e: unknown) => {
        if (!(e instanceof QueueFullError)) return next(e);
        res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
        res.status(503).json({ error: `too many API requests at once; retry after ${RETRY_AFTER_SECONDS} s` });
      }
    );
  };
}

/** What the probes look at. */
export interface Health {
  /** Why the exporter is not ready, or undefined when it is. */
  notReadyReason(): string | undefined;
}

/**
 * /metrics (behind an admin token when configured), /healthz and /readyz (never), the chargeback API, and
 * `routes` with paths of their own (the push endpoints and the enforcement doors, behind ingest tokens), mounted
 * ahead of the API's admission queue: a gateway's push or decision is not queued behind chargeback queries.
 */
export function createApp(
  metrics: ExporterMetrics,
  health: Health,
  api: Router,
  auth: () => AuthConfig,
  routes: readonly Router[] = []
): Express {
  const app = express();
  app.disable('x-powered-by');
  for (const r of routes) app.use(r);
  app.use('/api/v1', admission(new Semaphore(API_CONCURRENCY, API_MAX_QUEUED)), api);
  app.get('/metrics', async (req, res, next) => {
    const a = auth();
    if (a.metrics === 'required') {
      const token = authenticate(req.headers.authorization, a.tokens);
      if (token?.role !== 'admin') {
        res.setHeader('WWW-Authenticate', 'Bearer realm="tokenledger"');
        res.status(token ? 403 : 401).json({
          error: token
            ? `a token of role ${token.role} cannot read /metrics (it shows every user)`
            : 'missing or invalid token (send Authorization: Bearer <admin token>)',
        });
        return;
      }
    }
    try {
      const gzipped = req.acceptsEncodings('gzip') === 'gzip';
      const parts = await metrics.exposition(gzipped);
      // Written as they are: res.send would copy and hash (ETag) the whole text on every scrape.
      res.type(metrics.registry.contentType);
      res.vary('Accept-Encoding');
      if (gzipped) res.setHeader('Content-Encoding', 'gzip');
      for (const p of parts) res.write(p);
      res.end();
    } catch (e) {
      next(e);
    }
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const reason = health.notReadyReason();
    if (reason) res.status(503).json({ status: 'not ready', reason });
    else res.json({ status: 'ready' });
  });
  return app;
}

/**
 * How long an idle keep-alive connection stays open: longer than a gateway's pool keeps one, so that the pool, not
 * the server, closes it. With node:http's default (5 s) the server closed connections that Envoy's ext_authz HTTP
 * pool still held as reusable (its cluster's `idle_timeout` is 1 hour by default); a check written to one as it
 * closes fails, and Envoy answers it by `failure_mode_allow` / `status_on_error`, not by the budget. (headersTimeout
 * stays: since Node 18 it counts from a request's first byte, not over the idle time between requests.)
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65 * 60 * 1000;

/** Serves `handler` (the app, or the app behind the ext_authz HTTP door) on host:port. */
export function listen(handler: RequestListener, host: string, port: number): Promise<Server> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer({ keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS }, handler).listen(port, host);
    server.once('listening', () => resolvePromise(server));
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        // A ConfigError: the user fixes it in the config, and the command says it in one line.
        new ConfigError(
          e.code === 'EADDRINUSE'
            ? `cannot listen on ${host}:${port}: the port is in use (set listen: in the config)`
            : `cannot listen on ${host}:${port}: ${e.message}`
        )
      )
    );
  });
}

/** How often a closing server looks for connections that went idle since it closed. */
const CLOSE_POLL_MS = 50;

/**
 * Stops taking connections; resolves once every connection has closed: the idle ones at once (close() does that),
 * one answering a request once its answer is written. close() alone would leave the latter open until the
 * KEEP_ALIVE_TIMEOUT_MS after its answer.
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolvePromise) => {
    const poll = setInterval(() => server.closeIdleConnections(), CLOSE_POLL_MS);
    server.close(() => {
      clearInterval(poll);
      resolvePromise();
    });
  });
}
