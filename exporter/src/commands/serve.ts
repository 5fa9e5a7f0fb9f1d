import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config';
import { ledgerLocation } from '../ledger/open';
import { createLogger } from '../log';
import { ExporterService } from '../service/exporterService';
import { asUsage, UsageError } from './args';

export const SERVE_USAGE = `Usage: tokenledger serve --config FILE
  Follows the configured sources into the ledger and serves /metrics, /healthz, /readyz and the chargeback API.
  SIGHUP (or a change of the config file) reloads prices, identities, budgets and API tokens;
  SIGTERM/SIGINT commit the last batch and stop.`;

export async function runServe(argv: string[]): Promise<number> {
  const { values } = asUsage(() => parseArgs({ args: argv, options: { config: { type: 'string' } } }));
  if (!values.config) throw new UsageError('--config is required');
  const log = createLogger();
  const config = loadConfig(values.config);
  const service = await ExporterService.start(config, log);
  const { host, port } = service.address;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info(
    `tokenledger serving ${base}/metrics (Prometheus), ${base}/api/v1 (chargeback API), ${base}/healthz, ${base}/readyz; ledger ${ledgerLocation(config.ledger)}, node ${config.node}`
  );
  process.on('SIGHUP', () => void service.requestReload('SIGHUP'));
  await new Promise<void>((resolveStop) => {
    const stop = (signal: string) => {
      log.info(`${signal}: committing the last batch and stopping`);
      resolveStop();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await service.stop();
  return 0;
}
