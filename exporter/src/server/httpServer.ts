import express, { Express } from 'express';
import type { Server } from 'node:http';
import type { ExporterMetrics } from '../metrics/exporterMetrics';

/** What the probes look at. */
export interface Health {
  /** Why the exporter is not ready, or undefined when it is. */
  notReadyReason(): string | undefined;
}

/** /metrics, /healthz and /readyz. The chargeback API mounts its routes on the same app. */
export function createApp(metrics: ExporterMetrics, health: Health): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', async (_req, res, next) => {
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
