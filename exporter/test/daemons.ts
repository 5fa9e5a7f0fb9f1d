/**
 * Real Prometheus (and any other loopback daemon) for integration tests: started on a free port in a
 * temporary directory, waited for with a bound, stopped by PID. Shared by the exporter, alerting and
 * dashboard tests so they all run the same binaries the same way.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir, waitFor } from './helpers';

/** A port the kernel just handed out on 127.0.0.1 (closed again, so the daemon can bind it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))
      );
    });
  });
}

/** Fails with how to install a Debian binary when it is missing. */
export function requireBinary(binary: string, debianPackage: string): void {
  const r = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    throw new Error(`${binary} not found: apt-get install ${debianPackage} (.ci/run installs it)`);
}

/** A child process serving HTTP on `url`; its output is kept for error messages. */
export class Daemon {
  private output = '';

  private constructor(
    readonly name: string,
    readonly url: string,
    private readonly child: ChildProcess
  ) {
    child.stdout!.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
  }

  /** Spawns `binary args`, then waits until `url + readyPath` answers 200 (or the process exits). */
  static async start(
    name: string,
    binary: string,
    args: string[],
    url: string,
    readyPath: string,
    timeoutMs = 30_000
  ): Promise<Daemon> {
    const daemon = new Daemon(name, url, spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    try {
      await waitFor(
        `${name} to become ready at ${url}${readyPath}`,
        async () => {
          if (daemon.child.exitCode !== null)
            throw new Error(`${name} exited with ${daemon.child.exitCode}: ${daemon.output.slice(-2000)}`);
          const res = await fetch(url + readyPath);
          return res.ok ? true : undefined;
        },
        timeoutMs,
        100
      );
    } catch (e) {
      await daemon.stop();
      throw e;
    }
    return daemon;
  }

  get log(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    process.kill(this.child.pid!, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((r) => {
      timer = setTimeout(() => {
        process.kill(this.child.pid!, 'SIGKILL');
        r();
      }, 10_000);
    });
    await Promise.race([exited, killed]);
    clearTimeout(timer);
  }
}

export interface PrometheusOptions {
  /** host:port of each scrape target (job `tokenledger`). */
  targets: string[];
  /** Absolute paths of rule files to load. */
  ruleFiles?: string[];
  /** host:port of an Alertmanager to send alerts to. */
  alertmanager?: string;
  /** Scrape and rule evaluation interval; short keeps tests quick. */
  interval?: string;
}

export interface InstantSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** A real Prometheus (Debian package `prometheus`) scraping `targets` with `ruleFiles` loaded. */
export class Prometheus {
  private constructor(
    readonly daemon: Daemon,
    readonly dir: string
  ) {}

  get url(): string {
    return this.daemon.url;
  }

  static async start(options: PrometheusOptions): Promise<Prometheus> {
    requireBinary('prometheus', 'prometheus');
    const dir = tempDir('tl-prometheus-');
    const interval = options.interval ?? '1s';
    const config = [
      'global:',
      `  scrape_interval: ${interval}`,
      `  evaluation_interval: ${interval}`,
      ...(options.ruleFiles?.length
        ? ['rule_files:', ...options.ruleFiles.map((f) => `  - ${JSON.stringify(f)}`)]
        : []),
      ...(options.alertmanager
        ? [
            'alerting:',
            '  alertmanagers:',
            '    - static_configs:',
            `        - targets: [${JSON.stringify(options.alertmanager)}]`,
          ]
        : []),
      'scrape_configs:',
      '  - job_name: tokenledger',
      `    static_configs: [{ targets: [${options.targets.map((t) => JSON.stringify(t)).join(', ')}] }]`,
      '',
    ].join('\n');
    writeFileSync(join(dir, 'prometheus.yml'), config);
    const port = await freePort();
    const args = [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ];
    const daemon = await Daemon.start('prometheus', 'prometheus', args, `http://127.0.0.1:${port}`, '/-/ready');
    return new Prometheus(daemon, dir);
  }

  /** Runs an instant query; throws with Prometheus's own error message when the query is invalid. */
  async query(expr: string, time?: number): Promise<InstantSample[]> {
    const params = new URLSearchParams({ query: expr });
    if (time !== undefined) params.set('time', String(time));
    const res = await fetch(`${this.url}/api/v1/query?${params}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: InstantSample[] };
    };
    if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error ?? res.status}`);
    return body.data!.result;
  }

  /** Waits until every target has been scraped successfully at least once. */
  async waitForTargetsUp(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      'every scrape target to be up',
      async () => ((await this.query('min(up{job="tokenledger"})'))[0]?.value[1] === '1' ? true : undefined),
      timeoutMs,
      200
    );
  }

  stop(): Promise<void> {
    return this.daemon.stop();
  }
}
