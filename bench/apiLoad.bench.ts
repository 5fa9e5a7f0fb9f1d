/**
 * The API under load: a real `tokenledger serve` (the built CLI, in its own process) on a ledger of RECORDS
 * usage records over 30 days, a writer appending LiteLLM lines to the log it follows, and for each load level
 * N concurrent clients asking for 30-day breakdowns by user while M concurrent scrapers read /metrics. It prints
 * commit latency (a line written -> its commit, max and p99), the ingest lag the server reported, and the API's
 * p50/p99 next to the same requests on the idle server, measured in the same run, as ratios.
 *   npm run bench:load -- [--records N] [--seconds S] [--scrapers M] [--cli PATH] [CLIENTS ...]
 *   (default 1,000,000 records, 20 s per level, 50 scrapers, levels of 50 and 200 clients; --cli: another
 *   build's dist/cli.js, to compare)
 */
import { ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { Agent, get as httpGet } from 'node:http';
import { fillDuckDbLedger, FROM, TO } from './benchLedger';

const BUILT_CLI = resolve(__dirname, '../../../exporter/dist/cli.js');
/** Lines the writer appends per second, one at a time, as a gateway does. */
const WRITE_RATE = 50;

interface Latencies {
  ms: number[];
  statuses: Map<number, number>;
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN;
}

function summary(l: Latencies): { p50: number; p99: number; max: number; n: number } {
  const s = [...l.ms].sort((a, b) => a - b);
  return { p50: quantile(s, 0.5), p99: quantile(s, 0.99), max: s[s.length - 1] ?? NaN, n: s.length };
}

/** Keeps connections open between a client's requests, as Prometheus and dashboards do. */
const agent = new Agent({ keepAlive: true });

/**
 * GET with `Accept-Encoding: gzip`, as Prometheus scrapes; the body is read but not decompressed (a scraper
 * does that on its own machine), so what is timed is the server, not this process.
 */
function get(url: string): Promise<{ status: number; retryAfter: string | undefined; gzipped: boolean; body: Buffer }> {
  return new Promise((resolveGet, reject) => {
    httpGet(url, { agent, headers: { 'accept-encoding': 'gzip' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolveGet({
          status: res.statusCode ?? 0,
          retryAfter: res.headers['retry-after'],
          gzipped: res.headers['content-encoding'] === 'gzip',
          body: Buffer.concat(chunks),
        })
      );
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** One request, timed; a connection error (a keep-alive connection the server closed as it was reused) counts as status 0. */
async function timedRequest(
  url: string,
  into: Latencies
): Promise<{ status: number; retryAfter: string | undefined } | undefined> {
  const t0 = performance.now();
  let res: Awaited<ReturnType<typeof get>> | undefined;
  try {
    res = await get(url);
    into.ms.push(performance.now() - t0);
  } catch {
    res = undefined;
  }
  const status = res?.status ?? 0;
  into.statuses.set(status, (into.statuses.get(status) ?? 0) + 1);
  return res;
}

/** Requests `url` in a loop until `until`, each client waiting for its answer before the next (a Retry-After is obeyed). */
async function client(url: string, until: number, into: Latencies): Promise<void> {
  while (Date.now() < until) {
    const res = await timedRequest(url, into);
    if (res?.status === 503) await new Promise((r) => setTimeout(r, Number(res.retryAfter ?? 1) * 1000));
  }
}

/** `runs` requests one after the other. */
async function sequential(url: string, runs: number): Promise<Latencies> {
  const into: Latencies = { ms: [], statuses: new Map() };
  for (let i = 0; i < runs; i++) await timedRequest(url, into);
  return into;
}

function sample(exposition: string, name: string): number {
  let total = 0;
  for (const line of exposition.split('\n'))
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`))
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
  return total;
}

/**
 * Writes one line at a time and finds when each was committed, from serve's debug log: each commit logs how
 * many lines it stored, stamped with the time it finished. A line's latency is that time minus the time it
 * was written. A watcher also samples tokenledger_ingest_lag_seconds on /metrics, to compare.
 */
class CommitWatch {
  private readonly writtenMs: number[] = [];
  private committed = 0;
  private partial = '';
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  readonly latencies: number[] = [];
  maxLagSeconds = 0;

  constructor(
    private readonly log: string,
    private readonly metricsUrl: string
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      const i = this.writtenMs.length;
      const start = Date.now() / 1000;
      appendFileSync(
        this.log,
        `${JSON.stringify({ id: `load-${i}`, call_type: 'acompletion', status: 'success', startTime: start, endTime: start + 0.5, model: 'gpt-4o', prompt_tokens: 100 + (i % 50), completion_tokens: 20, metadata: { user_api_key_user_id: `writer-${i % 7}`, user_api_key_alias: 'writer-key' } })}\n`
      );
      this.writtenMs.push(Date.now());
    }, 1000 / WRITE_RATE);
    void this.sampleLag();
  }

  /** serve's stderr. */
  serveOutput(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) {
      const m = /^(\S+) debug committed batch \d+ in \d+ ms: (\d+) line\(s\) read/.exec(line);
      if (!m) continue;
      const atMs = Date.parse(m[1]!);
      for (let n = Number(m[2]); n > 0 && this.committed < this.writtenMs.length; n--, this.committed++)
        this.latencies.push(atMs - this.writtenMs[this.committed]!);
    }
  }

  private async sampleLag(): Promise<void> {
    while (!this.stopped) {
      const text = await get(this.metricsUrl).then(
        (r) => (r.gzipped ? gunzipSync(r.body) : r.body).toString(),
        () => ''
      );
      this.maxLagSeconds = Math.max(this.maxLagSeconds, sample(text, 'tokenledger_ingest_lag_seconds'));
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Commit latency of the lines committed since the last call, and the largest lag seen meanwhile. */
  take(): { max: number; p99: number; lines: number; lagSeconds: number } {
    const s = this.latencies.splice(0).sort((a, b) => a - b);
    const lag = this.maxLagSeconds;
    this.maxLagSeconds = 0;
    return { max: s[s.length - 1] ?? NaN, p99: quantile(s, 0.99), lines: s.length, lagSeconds: lag };
  }

  /** Waits until every line written so far is committed (at most `timeoutMs`). */
  async settle(timeoutMs: number): Promise<void> {
    const written = this.writtenMs.length;
    const deadline = Date.now() + timeoutMs;
    while (this.committed < written && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  }

  stop(): void {
    clearInterval(this.timer);
    this.stopped = true;
  }
}

async function startServe(
  cli: string,
  config: string,
  output: (chunk: string) => void
): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, [cli, 'serve', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TOKENLEDGER_LOG_LEVEL: 'debug' },
  });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => {
    const text = d.toString();
    if (!out.includes(' serving ')) out += text;
    output(text);
  });
  const base = await new Promise<string>((resolveBase, reject) => {
    const check = setInterval(() => {
      const m = /serving (http:\/\/[^/\s]+)\/metrics/.exec(out);
      if (m) {
        clearInterval(check);
        resolveBase(m[1]!);
      } else if (child.exitCode !== null) {
        clearInterval(check);
        reject(new Error(`serve exited with ${child.exitCode}: ${out}`));
      }
    }, 50);
  });
  return { child, base };
}

const ms = (v: number) => `${v.toFixed(0)} ms`;
const ratio = (loaded: number, idle: number) => `${(loaded / idle).toFixed(1)} x idle`;
const statuses = (l: Latencies) =>
  [...l.statuses]
    .sort(([a], [b]) => a - b)
    .map(([s, n]) => `${n} x ${s || 'connection error'}`)
    .join(', ');

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      records: { type: 'string' },
      seconds: { type: 'string' },
      scrapers: { type: 'string' },
      cli: { type: 'string' },
    },
  });
  const records = Number(values.records ?? 1_000_000);
  const seconds = Number(values.seconds ?? 20);
  const scrapers = Number(values.scrapers ?? 50);
  const levels = positionals.length ? positionals.map(Number) : [50, 200];
  const dir = mkdtempSync(join(tmpdir(), 'tl-load-bench-'));
  let serve: ChildProcess | undefined;
  let watch: CommitWatch | undefined;
  try {
    const t0 = Date.now();
    await fillDuckDbLedger(join(dir, 'bench.duckdb'), records);
    console.log(
      `ledger: ${records.toLocaleString('en')} records over 30 days, built in ${((Date.now() - t0) / 1000).toFixed(1)} s`
    );
    const log = join(dir, 'gateway.log');
    writeFileSync(log, '');
    writeFileSync(
      join(dir, 'prices.yaml'),
      'version: bench\nmodels:\n  gpt-4o:\n    prices: [{ input: 2.50, output: 10.00 }]\n'
    );
    const config = join(dir, 'tokenledger.yaml');
    writeFileSync(
      config,
      `ledger: bench.duckdb\nprices: prices.yaml\nrejects_file: rejects.jsonl\nlisten: 127.0.0.1:0\npoll_interval_ms: 100\nsources:\n  - { name: gateway, paths: ${JSON.stringify(log)}, format: litellm }\n`
    );
    const t1 = Date.now();
    const serveLog = process.env.BENCH_SERVE_LOG; // a file to keep serve's log in, for a closer look
    const started = await startServe(values.cli ? resolve(values.cli) : BUILT_CLI, config, (chunk) => {
      watch?.serveOutput(chunk);
      if (serveLog) appendFileSync(serveLog, chunk);
    });
    serve = started.child;
    console.log(
      `serve: started (metrics seeded from the ledger) in ${((Date.now() - t1) / 1000).toFixed(1)} s; the writer appends ${WRITE_RATE} lines/s`
    );
    const breakdownUrl = `${started.base}/api/v1/breakdown?from=${FROM}&to=${TO}&groupBy=user`;
    const metricsUrl = `${started.base}/metrics`;
    watch = new CommitWatch(log, metricsUrl);
    watch.start();

    // Idle: the same requests one at a time while only the writer runs.
    await new Promise((r) => setTimeout(r, 2000));
    const idleBreakdown = summary(await sequential(breakdownUrl, 20));
    const idleMetrics = summary(await sequential(metricsUrl, 20));
    const idleCommit = watch.take();
    console.log(
      `\nidle: breakdown p50 ${ms(idleBreakdown.p50)}, p99 ${ms(idleBreakdown.p99)}; /metrics p50 ${ms(idleMetrics.p50)}, p99 ${ms(idleMetrics.p99)}; commit latency max ${ms(idleCommit.max)}, p99 ${ms(idleCommit.p99)} (${idleCommit.lines} lines); largest ingest lag ${idleCommit.lagSeconds.toFixed(1)} s`
    );

    for (const clients of levels) {
      const until = Date.now() + seconds * 1000;
      const breakdowns: Latencies = { ms: [], statuses: new Map() };
      const scrapes: Latencies = { ms: [], statuses: new Map() };
      await Promise.all([
        ...Array.from({ length: clients }, () => client(breakdownUrl, until, breakdowns)),
        ...Array.from({ length: scrapers }, () => client(metricsUrl, until, scrapes)),
      ]);
      await watch.settle(60_000);
      const b = summary(breakdowns);
      const m = summary(scrapes);
      const c = watch.take();
      console.log(`\n${clients} breakdown clients + ${scrapers} scrapers, ${seconds} s:`);
      console.log(
        `  commit latency      max ${ms(c.max)}, p99 ${ms(c.p99)} (${c.lines} lines); largest ingest lag reported ${c.lagSeconds.toFixed(1)} s`
      );
      console.log(
        `  GET /breakdown      p50 ${ms(b.p50)} (${ratio(b.p50, idleBreakdown.p50)}), p99 ${ms(b.p99)} (${ratio(b.p99, idleBreakdown.p99)}); ${statuses(breakdowns)}`
      );
      console.log(
        `  GET /metrics        p50 ${ms(m.p50)} (${ratio(m.p50, idleMetrics.p50)}), p99 ${ms(m.p99)} (${ratio(m.p99, idleMetrics.p99)}); ${statuses(scrapes)}`
      );
    }
  } finally {
    watch?.stop();
    serve?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  console.error(e);
  process.exitCode = 1;
});
