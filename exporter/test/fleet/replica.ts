import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServeProcess, sumSamples, TEST_PRICES } from '../helpers';
import type { Book } from '../faults/book';
import { LogFamily } from '../faults/logFamily';

/**
 * One `tokenledger serve` replica of the fleet: its node name, its own directory (config, price book, reject
 * file) and its own gateway log (`logs/gw.log`, followed as `gw.log*` so that renamed files are finished), all
 * on the one shared PostgreSQL ledger. Every replica names its source `gw`: a request's idempotency key is
 * source and id, so the same request in two replicas' logs is the same record.
 */
export class Replica {
  readonly dir: string;
  readonly config: string;
  readonly rejectsFile: string;
  readonly log: LogFamily;
  serve: ServeProcess | undefined;
  /** What the replica logged before each of its kills, and now: for a failure's report. */
  private readonly pastLogs: string[] = [];

  constructor(
    root: string,
    readonly node: string,
    ledgerUrl: string,
    book: Book,
    currentFault: () => number
  ) {
    this.dir = join(root, node);
    const logDir = join(this.dir, 'logs');
    mkdirSync(logDir, { recursive: true });
    this.log = new LogFamily(logDir, 'gw', book, currentFault);
    this.rejectsFile = join(this.dir, 'rejects.jsonl');
    writeFileSync(join(this.dir, 'prices.yaml'), TEST_PRICES);
    this.config = join(this.dir, 'tokenledger.yaml');
    writeFileSync(
      this.config,
      `ledger: ${JSON.stringify(ledgerUrl)}
node: ${node}
rejects_file: rejects.jsonl
prices: prices.yaml
listen: 127.0.0.1:0
poll_interval_ms: 50
rotate_wait_ms: 400
batch_lines: 200
watch_config: false
sources:
  - name: gw
    format: litellm
    paths: [${JSON.stringify(join(logDir, 'gw.log*'))}]
`
    );
  }

  get running(): boolean {
    const child = this.serve?.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  async start(): Promise<void> {
    // Generous: three replicas, PostgreSQL and the writer share a small machine, and a start while PostgreSQL
    // is down waits for it (with backoff).
    this.serve = await ServeProcess.start(this.config, undefined, {}, 60_000);
  }

  async kill(): Promise<void> {
    if (!this.serve) return;
    await this.serve.stop('SIGKILL');
    this.ended('killed');
  }

  /** Keeps what the process logged (in memory, and in `serve.log`, kept with a failed run's directory). */
  private ended(how: string): void {
    this.pastLogs.push(this.serve!.log);
    appendFileSync(join(this.dir, 'serve.log'), `${this.serve!.log}--- ${how} ---\n`);
    this.serve = undefined;
  }

  /** The sum over labels of a metric on this replica's /metrics. */
  async metricSum(name: string): Promise<number> {
    return sumSamples(await this.serve!.metrics(), name);
  }

  /** Graceful stop (SIGTERM: the last batch committed). */
  async stop(): Promise<void> {
    if (!this.serve) return;
    await this.serve.stop();
    this.ended('stopped');
  }

  /** How many lines of everything it logged match `pattern`. */
  logLines(pattern: RegExp): number {
    return this.allLines().filter((l) => pattern.test(l)).length;
  }

  private allLines(): string[] {
    return [...this.pastLogs, this.serve?.log ?? ''].join('\n').split('\n');
  }

  /** The lines of everything it logged that say something went wrong (refused lines aside), first ones. */
  warnings(max = 15): string[] {
    const worth = (l: string) => /warn|error|cannot|fail/i.test(l) && !/line\(s\) rejected/.test(l);
    return [
      ...new Set(
        this.allLines()
          .filter(worth)
          .map((l) => l.slice(0, 300))
      ),
    ].slice(0, max);
  }
}
