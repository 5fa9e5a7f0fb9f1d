import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { requireBinary } from '../../exporter/test/daemons';

/** The example Alertmanager configuration the tests check and the end-to-end test routes with. */
export const ALERTMANAGER_CONFIG = resolve(__dirname, '../alertmanager.yml');

/** Runs amtool (Debian `prometheus-alertmanager`) and returns its exit status and output. */
export function amtool(args: string[]): { status: number | null; stdout: string; output: string } {
  requireBinary('amtool', 'prometheus-alertmanager');
  const r = spawnSync('amtool', args, { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, output: `${r.stdout}${r.stderr}` };
}
