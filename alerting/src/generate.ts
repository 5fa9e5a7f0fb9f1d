/**
 * Writes the generated alerting files into the repository:
 *   npm run alerting:generate [-- --grafana-url URL --runbook-url URL --alertmanager-url URL --exporter-job NAME]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_OPTIONS, generatedFiles } from './generatedFiles';

const REPO_ROOT = resolve(__dirname, '../..');

function main(): void {
  const { values } = parseArgs({
    options: {
      'grafana-url': { type: 'string', default: DEFAULT_OPTIONS.grafanaUrl },
      'runbook-url': { type: 'string', default: DEFAULT_OPTIONS.runbookUrl },
      'alertmanager-url': { type: 'string', default: DEFAULT_OPTIONS.alertmanagerUrl },
      'exporter-job': { type: 'string', default: DEFAULT_OPTIONS.exporterJob },
    },
  });
  const files = generatedFiles({
    grafanaUrl: values['grafana-url'],
    runbookUrl: values['runbook-url'],
    alertmanagerUrl: values['alertmanager-url'],
    exporterJob: values['exporter-job'],
  });
  for (const [path, text] of Object.entries(files)) {
    const target = resolve(REPO_ROOT, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
    console.log(`wrote ${path}`);
  }
}

try {
  main();
} catch (err) {
  // Bad options (parseArgs's, or a rule option's check): the message alone, no stack, nothing written.
  console.error(`alerting:generate: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 2;
}
