/**
 * Footprint benchmark: the memory the built CLI holds, as users run it, next to a bare `readline +
 * JSON.parse` loop over the same log measured in the same run (the baseline; the ratio is what compares
 * across machines). For each ledger engine (DuckDB file, and PostgreSQL started by the test harness):
 *   - `tokenledger ingest` of the log into a fresh ledger: peak RSS (and lines/s next to the bare loop's);
 *   - `tokenledger serve` on the ledger that made (1M records), following an empty log: RSS once it is idle
 *     (ready, metrics seeded from the ledger, one scrape), sampled for a while after it settles.
 * Each is its own child process; RSS is read from /proc/<pid>/status every 50 ms: the peak is the largest of
 * VmRSS and VmHWM (the kernel's own high-water mark) seen. PostgreSQL's server processes are not counted:
 * they are the database, not TokenLedger.
 *   npm run bench:footprint -- [lines] [duckdb,postgres]     (default 1,000,000 lines, both engines)
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, requireBuiltCli, sumSamples, waitFor } from '../exporter/test/helpers';
import { RunningPostgres, startPostgres } from '../exporter/test/postgres';
import { generateLitellmLog } from './generateLitellmLog';

const MB = 1024 * 1024;
const SAMPLE_MS = 50;
/**
 * How long an idle serve is left to settle before its RSS is sampled, then how long that is sampled (the figure is
 * the last sample). Long enough for serve's heap trimmer to find it quiet (it looks every 5 s) and for V8 to hand
 * back the young generation it then shrinks: what a serve that stays idle holds.
 */
const SETTLE_MS = 20_000;
const IDLE_SAMPLE_MS = 10_000;

/** VmRSS and VmHWM of a live process, in bytes; undefined once it is gone. */
function memoryOf(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Samples a child's memory until it exits; resolves to its peak and how long it ran. */
async function runMeasured(args: string[]): Promise<{ peakMb: number; seconds: number; output: string }> {
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  let peak = 0;
  const sample = setInterval(() => {
    const m = memoryOf(child.pid!);
    if (m) peak = Math.max(peak, m.rss, m.hwm);
  }, SAMPLE_MS);
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  clearInterval(sample);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (code !== 0) throw new Error(`node ${args.join(' ')} exited with ${code}:\n${output}`);
  return { peakMb: Math.round(peak / MB), seconds, output };
}

/** The baseline: a bare readline + JSON.parse loop over the log, a process of its own. */
const BARE_LOOP = `
const { createReadStream } = require('node:fs');
const { createInterface } = require('node:readline');
(async () => {
  const agg = new Map();
  let n = 0;
  const rl = createInterface({ input: createReadStream(process.argv[1], { highWaterMark: 1 << 16 }), crlfDelay: Infinity });
  for await (const line of rl) {
    const r = JSON.parse(line);
    agg.set(r.model, (agg.get(r.model) ?? 0) + r.prompt_tokens); // keep the parse from being optimised away
    n++;
  }
  console.log(n);
})();`;

const PRICES = `models:\n${['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4-5', 'claude-haiku-4-5', 'o4-mini']
  .map((m) => `  ${m}:\n    prices: [{ input: 2.5, cache_read: 1.25, output: 10 }]\n`)
  .join('')}`;

interface EngineFigures {
  engine: string;
  ingestPeakMb: number;
  ingestRate: number;
  /** From the start of serve to /readyz answering 200 (seeding its metrics from the ledger is most of it). */
  readySeconds: number;
  serveIdleMb: number;
  serveIdleMaxMb: number;
  /** VmHWM: the most serve held at any time, starting included. */
  servePeakMb: number;
}

/** Ingests `log` into `ledger` (a file path or a postgres:// URL), then measures an idle serve on it. */
async function measureEngine(
  engine: string,
  ledger: string,
  dir: string,
  log: string,
  lines: number
): Promise<EngineFigures> {
  const prices = join(dir, 'prices.yaml');
  writeFileSync(prices, PRICES);
  const ingest = await runMeasured([CLI, 'ingest', '--db', ledger, '--prices', prices, log]);
  const stored = Number(/records stored:\s+(\d+)/.exec(ingest.output)?.[1]);
  if (stored !== lines) throw new Error(`ingest stored ${stored} of ${lines} lines:\n${ingest.output}`);
  const ingestRate = Math.round(lines / ingest.seconds);
  console.log(
    `${engine}: ingest peak RSS ${ingest.peakMb} MB, ${ingestRate.toLocaleString('en')} lines/s (whole process: start to exit)`
  );

  const empty = join(dir, 'idle.log');
  writeFileSync(empty, '');
  const config = join(dir, 'serve.yaml');
  writeFileSync(
    config,
    `ledger: ${JSON.stringify(ledger)}
rejects_file: rejects.jsonl
prices: prices.yaml
listen: 127.0.0.1:0
sources:
  - name: idle
    paths: ${JSON.stringify(empty)}
    format: litellm
`
  );
  const t0 = Date.now();
  const serve = spawn(process.execPath, [CLI, 'serve', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  serve.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  serve.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((r) => serve.once('exit', () => r()));
  try {
    // Printed once the metrics are seeded from the ledger and the server listens.
    const base = await waitFor(
      'serve to print its address',
      () => {
        if (serve.exitCode !== null) throw new Error(`serve exited with ${serve.exitCode}: ${output}`);
        return /serving (http:\/\/[^/\s]+)\/metrics/.exec(output)?.[1];
      },
      300_000,
      100
    );
    await waitFor(
      'serve to be ready',
      async () => ((await fetch(`${base}/readyz`)).ok ? true : undefined),
      60_000,
      100
    );
    const readySeconds = (Date.now() - t0) / 1000;
    // What a user sees: Prometheus scrapes it. The scrape also proves the metrics were seeded from the ledger.
    const requests = sumSamples(await (await fetch(`${base}/metrics`)).text(), 'tokenledger_requests_total');
    if (requests !== lines) throw new Error(`serve's metrics count ${requests} requests, the ledger ${lines}`);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const idle = await sampleIdle(serve);
    return {
      engine,
      ingestPeakMb: ingest.peakMb,
      ingestRate,
      readySeconds,
      serveIdleMb: idle.lastMb,
      serveIdleMaxMb: idle.maxMb,
      servePeakMb: idle.hwmMb,
    };
  } finally {
    if (serve.exitCode === null && serve.signalCode === null) serve.kill('SIGTERM');
    await exited;
  }
}

async function sampleIdle(child: ChildProcess): Promise<{ lastMb: number; maxMb: number; hwmMb: number }> {
  let max = 0;
  let last = 0;
  let hwm = 0;
  const until = Date.now() + IDLE_SAMPLE_MS;
  while (Date.now() < until) {
    const m = memoryOf(child.pid!);
    if (!m) throw new Error('serve exited while idle');
    last = m.rss;
    max = Math.max(max, m.rss);
    hwm = m.hwm;
    await new Promise((r) => setTimeout(r, SAMPLE_MS * 4));
  }
  return { lastMb: Math.round(last / MB), maxMb: Math.round(max / MB), hwmMb: Math.round(hwm / MB) };
}

async function main(): Promise<void> {
  const lines = Number(process.argv[2] ?? 1_000_000);
  const engines = (process.argv[3] ?? 'duckdb,postgres').split(',');
  if (!Number.isSafeInteger(lines) || lines < 1 || engines.some((e) => e !== 'duckdb' && e !== 'postgres'))
    throw new Error('usage: npm run bench:footprint -- [lines] [duckdb,postgres]');
  requireBuiltCli();
  const dir = mkdtempSync(join(tmpdir(), 'tl-footprint-'));
  let postgres: RunningPostgres | undefined;
  try {
    const log = join(dir, 'litellm.jsonl');
    const bytes = await generateLitellmLog(log, lines);
    console.log(`log: ${lines.toLocaleString('en')} LiteLLM lines, ${(bytes / MB).toFixed(0)} MiB, no content`);
    await runMeasured(['-e', BARE_LOOP, log]); // warm the page cache
    const bare = await runMeasured(['-e', BARE_LOOP, log]);
    const bareRate = Math.round(lines / bare.seconds);
    console.log(
      `bare readline + JSON.parse (baseline): peak RSS ${bare.peakMb} MB, ${bareRate.toLocaleString('en')} lines/s`
    );
    const figures: EngineFigures[] = [];
    for (const engine of engines) {
      const engineDir = join(dir, engine);
      mkdirSync(engineDir);
      let ledger = join(engineDir, 'ledger.duckdb');
      if (engine === 'postgres') {
        postgres ??= await startPostgres();
        ledger = await postgres.createDatabase('footprint');
      }
      const f = await measureEngine(engine, ledger, engineDir, log, lines);
      figures.push(f);
      console.log(
        `${engine}: idle serve on ${lines.toLocaleString('en')} records: RSS ${f.serveIdleMb} MB ${(SETTLE_MS + IDLE_SAMPLE_MS) / 1000} s after ready (max ${f.serveIdleMaxMb} MB over its last ${IDLE_SAMPLE_MS / 1000} s; peak while starting ${f.servePeakMb} MB; ready in ${f.readySeconds.toFixed(1)} s)`
      );
    }
    console.log(
      '\n| engine | ingest peak RSS (target < 400 MB) | vs bare loop | ingest lines/s vs bare loop | idle serve RSS (target < 200 MB) | serve peak while starting |'
    );
    console.log('|---|---|---|---|---|---|');
    console.log(
      `| bare readline + JSON.parse | ${bare.peakMb} MB | 1x | 1 (${bareRate.toLocaleString('en')} lines/s) | | |`
    );
    for (const f of figures)
      console.log(
        `| ${f.engine} | ${f.ingestPeakMb} MB | ${(f.ingestPeakMb / bare.peakMb).toFixed(1)}x | ${(f.ingestRate / bareRate).toFixed(2)} | ${f.serveIdleMb} MB (max ${f.serveIdleMaxMb}) | ${f.servePeakMb} MB |`
      );
  } finally {
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  console.error(e);
  process.exitCode = 1;
});
