import express, { Express, Router } from 'express';
import type { Server } from 'node:http';
import { AuthConfig, authenticate } from '../auth/apiTokens';
import type { ExporterMetrics } from '../metrics/exporterMetrics';

/** What the probes look at. */
export interface Health {
  /** Why the exporter is not ready, or undefined when it is. */
  notReadyReason(): string | undefined;
}

/** /metrics (behind an admin token when configured), /healthz and /readyz (never), and the chargeback API. */
export function createApp(metrics: ExporterMetrics, health: Health, api: Router, auth: () => AuthConfig): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use('/api/v1', api);
  app.get('/metrics', async (req, res, next) => {
    const a = auth();
    if (a.metrics === 'required') {
      const token = authenticate(req.headers.authorization, a.tokens);
      if (!token || token.scope) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="tokenledger"');
        res.status(token ? 403 : 401).json({ error: token ? 'a scoped token cannot read /metrics (it shows every user)' : 'missing or invalid token (send Authorization: Bearer <admin token>)' });
        return;
      }
    }
    try {
      const body = await metrics.registry.metrics();
      res.type(metrics.registry.contentType).send(body);
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

export function listen(app: Express, host: string, port: number): Promise<Server> {
  return new Promise((resolvePromise, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => resolvePromise(server));
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new Error(e.code === 'EADDRINUSE' ? `cannot listen on ${host}:${port}: the port is in use (set listen: in the config)` : `cannot listen on ${host}:${port}: ${e.message}`)),
    );
  });
}
