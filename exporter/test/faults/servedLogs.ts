import { existsSync, mkdirSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServeProcess, sumSamples, TEST_PRICES, tempDir } from '../helpers';
import { Book } from './book';
import { LogFamily } from './logFamily';
import { Prng } from './prng';
import { Verdict, verdict } from './verdict';

export interface ServedLogsOptions {
  seed: number;
  /** Log names (`a` is logs/a.log) and the pattern each is followed by (`a.log*`, or `a.log` for the exact path). */
  logs: Record<string, string>;
  startAt?: 'beginning' | 'end';
  pollIntervalMs?: number;
  rotateWaitMs?: number;
  batchLines?: number;
  maxLineBytes?: number;
  dir?: string;
}

export interface RunResult {
  seed: number;
  dir: string;
  /** Problems of the run itself (serve exiting by itself, not catching up), then the verdict's. Empty: the promise held. */
  problems: string[];
  verdict: Verdict;
  counts: Record<string, number>;
  /** Numbered faults as they happened. */
  faults: string[];
  /** Warnings and errors `serve` logged (deduplicated, first ones). */
  serveWarnings: string[];
  seconds: number;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Logs followed by one `tokenledger serve` source (`gw`, LiteLLM), the book of what was written to them, and
 * the serve child's life (start, kill -9, graceful stop), with every fault numbered as it happens; then the
 * verdict. The random fault run (harness.ts) and the scenario tests are built on it.
 */
export class ServedLogs {
  readonly prng: Prng;
  readonly book: Book;
  readonly dir: string;
  readonly config: string;
  readonly logs: Record<string, LogFamily> = {};
  readonly rotateWaitMs: number;
  readonly pollIntervalMs: number;
  readonly maxLineBytes: number;
  serve: ServeProcess | undefined;
  readonly faults: string[] = [];
  readonly counts: Record<string, number> = {};
  readonly problems: string[] = [];
  private readonly warnings = new Set<string>();
  readonly started = Date.now();

  constructor(readonly o: ServedLogsOptions) {
    this.prng = new Prng(o.seed);
    this.book = new Book(this.prng);
    this.dir = o.dir ?? tempDir('tl-faults-');
    this.maxLineBytes = o.maxLineBytes ?? 4 << 20;
    this.rotateWaitMs = o.rotateWaitMs ?? 400;
    this.pollIntervalMs = o.pollIntervalMs ?? 50;
    const logDir = join(this.dir, 'logs');
    mkdirSync(logDir, { recursive: true });
    for (const name of Object.keys(o.logs))
      this.logs[name] = new LogFamily(logDir, name, this.book, () => this.faults.length);
    writeFileSync(join(this.dir, 'prices.yaml'), TEST_PRICES);
    this.config = join(this.dir, 'tokenledger.yaml');
    writeFileSync(
      this.config,
      `ledger: ledger.duckdb
rejects_file: rejects.jsonl
prices: prices.yaml
listen: 127.0.0.1:0
poll_interval_ms: ${this.pollIntervalMs}
rotate_wait_ms: ${this.rotateWaitMs}
batch_lines: ${o.batchLines ?? 200}
max_line_bytes: ${this.maxLineBytes}
watch_config: false
sources:
  - name: gw
    format: litellm
    start_at: ${o.startAt ?? 'beginning'}
    paths: [${Object.values(o.logs)
      .map((p) => JSON.stringify(join(logDir, p)))
      .join(', ')}]
`
    );
  }

  /** Numbers a fault: lines written after it name it when they go missing. */
  note(text: string): void {
    this.faults.push(
      `${text} (at ${((Date.now() - this.started) / 1000).toFixed(1)} s${this.serve ? '' : ', serve down'})`
    );
  }

  count(what: string, by = 1): void {
    this.counts[what] = (this.counts[what] ?? 0) + by;
  }

  async startServe(): Promise<void> {
    this.serve = await ServeProcess.start(this.config);
    this.count('serve_starts');
  }

  async kill(text: string): Promise<void> {
    if (!this.serve) return;
    await this.serve.stop('SIGKILL');
    this.collectWarnings();
    this.serve = undefined;
    this.note(text);
    this.count('kill9');
  }

  /**
   * Waits until `serve` has closed the deleted file `path` (it is finished), so that its inode is free: on
   * Linux, read from /proc/<pid>/fd; elsewhere a fixed wait of rotate_wait_ms and a few polls.
   */
  async closedByServe(path: string, timeoutMs: number): Promise<boolean> {
    const pid = this.serve?.child.pid;
    const fdDir = `/proc/${pid}/fd`;
    if (pid === undefined || !existsSync(fdDir)) {
      await sleep(this.rotateWaitMs + 20 * this.pollIntervalMs);
      return true;
    }
    const deadline = Date.now() + timeoutMs;
    const open = () =>
      readdirSync(fdDir).some((fd) => {
        try {
          return readlinkSync(join(fdDir, fd)) === `${path} (deleted)`;
        } catch {
          return false; // closed while listed
        }
      });
    while (open()) {
      if (Date.now() > deadline) return false;
      await sleep(5);
    }
    return true;
  }

  /** `serve` must only stop when told to: an exit of its own is a problem (then it is started again). */
  async checkServeAlive(): Promise<void> {
    const child = this.serve?.child;
    if (!child || (child.exitCode === null && child.signalCode === null)) return;
    this.problems.push(
      `serve exited by itself (${child.exitCode ?? child.signalCode}) after fault #${this.faults.length}: ${this.serve!.log.trim().split('\n').slice(-3).join(' | ')}`
    );
    this.collectWarnings();
    this.serve = undefined;
    await this.startServe();
  }

  private collectWarnings(): void {
    for (const line of this.serve?.log.split('\n') ?? []) {
      if (/warn|error|not found|cannot|fail/i.test(line))
        this.warnings.add(line.replace(/^\S*\d{4}-\d\d-\d\dT\S+\s*/, '').slice(0, 300));
    }
  }

  /**
   * Waits until `serve` has stored or quarantined as many lines as were written ('caught up'), or has read
   * nothing for a while with no backlog ('stalled': it will not get there by itself), or `maxMs` passed
   * while it was still reading ('still reading').
   */
  async catchUp(maxMs: number): Promise<'caught up' | 'stalled' | 'still reading'> {
    const deadline = Date.now() + maxMs;
    const quietMs = 2_000 + 20 * this.pollIntervalMs;
    let last = -1;
    let since = Date.now();
    while (Date.now() < deadline) {
      await this.checkServeAlive();
      const text = await this.serve!.metrics().catch(() => '');
      if (text) {
        const accounted =
          sumSamples(text, 'tokenledger_requests_total') + sumSamples(text, 'tokenledger_lines_rejected_total');
        if (accounted >= this.book.accountable()) return 'caught up';
        if (accounted !== last) {
          last = accounted;
          since = Date.now();
        } else if (Date.now() - since > quietMs && sumSamples(text, 'tokenledger_ingest_backlog_bytes') === 0)
          return 'stalled';
      }
      await sleep(100);
    }
    return 'still reading';
  }

  /** Lets `serve` catch up (started if down), stops it gracefully, and reads the verdict from the ledger. */
  async finish(maxCatchUpMs = 60_000): Promise<RunResult> {
    for (const f of Object.values(this.logs)) f.finishReopen(true, false);
    await this.checkServeAlive();
    if (!this.serve) await this.startServe();
    const state = await this.catchUp(maxCatchUpMs);
    if (state !== 'caught up')
      this.problems.push(`serve did not account for every line written (${state}): the verdict below says which`);
    await this.serve!.stop();
    this.collectWarnings();
    this.serve = undefined;
    const v = await verdict(
      join(this.dir, 'ledger.duckdb'),
      join(this.dir, 'rejects.jsonl'),
      this.book,
      (n) => this.faults[n - 1] ?? '?'
    );
    const problems = [...this.problems, ...v.problems];
    // Kept when something is wrong (the report names the directory), else removed: tens of MB a run.
    if (!problems.length) rmSync(this.dir, { recursive: true, force: true });
    return {
      seed: this.o.seed,
      dir: this.dir,
      problems,
      verdict: v,
      counts: { ...this.counts, faults: this.faults.length, linesWritten: this.book.linesWritten },
      faults: this.faults,
      serveWarnings: [...this.warnings].slice(0, 30),
      seconds: Math.round((Date.now() - this.started) / 1000),
    };
  }

  /** The result as text for a failing test: seed, counts, faults in order, what serve said, the problems. */
  static describe(r: RunResult): string {
    return `seed ${r.seed} (TOKENLEDGER_FAULTS_SEED=${r.seed} repeats a random run), ${r.seconds} s, files and ledger in ${r.dir}
counts: ${JSON.stringify(r.counts)}
verdict counts: ${JSON.stringify(r.verdict.counts)}
faults:
${r.faults.map((f, i) => `  #${i + 1} ${f}`).join('\n')}
serve said:
${r.serveWarnings.map((w) => `  ${w}`).join('\n')}
${r.problems.join('\n')}`;
  }
}
