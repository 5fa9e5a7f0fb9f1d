/**
 * What `tokenledger serve` costs following a log that a gateway keeps appending to (LiteLLM's, a few lines every
 * 10 ms, as its logger flushes), next to the baseline measured in the same run: the same serve reading as many
 * lines appended at once (a backlog, read in large batches). For each rate, a fresh serve (DuckDB, the default
 * poll_interval_ms, one enforced budget) and an appender in its own process; serve's CPU time (all its threads,
 * from /proc) over the measured seconds, after a warm-up.
 *   npm run bench:tail -- [--seconds 10] [--rates 100,1000]
 * Prints CPU ms a second and µs a line, and a live rate's µs a line over the backlog's: what committing as lines
 * come costs over committing them in bulk.
 */
import { fork } from 'node:child_process';
import { appendFileSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ServeProcess, tempDir, waitFor } from '../exporter/test/helpers';
import { writeServeConfig } from '../exporter/test/serveConfig';
import { generateLitellmLog } from './generateLitellmLog';
import { cpuMs } from './measure';

/** How often the appender writes (a gateway's logger flushing), ms. */
const APPEND_EVERY_MS = 10;
const WARMUP_MS = 3_000;

/** The appender (this file forked with `append`): appends `rate` lines a second of `source` to `target`. */
function append(source: string, target: string, rate: number): void {
  const lines = readFileSync(source, 'utf8').split('\n').filter(Boolean);
  const fd = openSync(target, 'a');
  const start = Date.now();
  let written = 0;
  setInterval(() => {
    const due = Math.min(lines.length, Math.floor(((Date.now() - start) * rate) / 1000));
    if (due > written) writeSync(fd, lines.slice(written, due).join('\n') + '\n');
    written = due;
  }, APPEND_EVERY_MS);
}

async function startServe(): Promise<{ serve: ServeProcess; log: string }> {
  const dir = tempDir('tl-tail-bench-');
  const log = join(dir, 'gw.log');
  writeFileSync(log, '');
  const config = writeServeConfig(
    dir,
    log,
    'budgets:\n  - { scope: global, period: monthly, limit_usd: 1000, enforce: block }\n'
  );
  // The test helper's 50 ms poll keeps tests quick; serve runs with the default (500 ms) where it decides.
  writeFileSync(config, readFileSync(config, 'utf8').replace(/^poll_interval_ms: .*$/m, ''));
  return { serve: await ServeProcess.start(config), log };
}

async function linesRead(serve: ServeProcess): Promise<number> {
  const text = await (await fetch(`${serve.baseUrl}/metrics`)).text();
  return Number(/^tokenledger_lines_read_total\{source="gw"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

interface Row {
  name: string;
  cpuMsPerS: number;
  lines: number;
  usPerLine: number;
}

/** serve following a log appended to at `rate` lines a second (0: idle) for `seconds`. */
async function live(source: string, rate: number, seconds: number): Promise<Row> {
  const { serve, log } = await startServe();
  const appender = fork(__filename, ['append', source, log, String(rate)]);
  try {
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    const [cpu0, lines0, t0] = [cpuMs(serve.child.pid!), await linesRead(serve), Date.now()];
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const [cpu, lines, s] = [
      cpuMs(serve.child.pid!) - cpu0,
      (await linesRead(serve)) - lines0,
      (Date.now() - t0) / 1000,
    ];
    return {
      name: rate ? `${rate} lines/s, live` : 'idle',
      cpuMsPerS: cpu / s,
      lines,
      usPerLine: lines ? (cpu * 1000) / lines : 0,
    };
  } finally {
    appender.kill();
    await serve.stop();
  }
}

/** serve reading `lines` lines of `source` appended at once. */
async function backlog(source: string, lines: number): Promise<Row> {
  const { serve, log } = await startServe();
  try {
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    const [cpu0, t0] = [cpuMs(serve.child.pid!), Date.now()];
    appendFileSync(log, readFileSync(source, 'utf8').split('\n').slice(0, lines).join('\n') + '\n');
    await waitFor(
      `serve to read ${lines} lines`,
      async () => ((await linesRead(serve)) >= lines ? true : undefined),
      300_000
    );
    const [cpu, s] = [cpuMs(serve.child.pid!) - cpu0, (Date.now() - t0) / 1000];
    return { name: `${lines} lines at once`, cpuMsPerS: cpu / s, lines, usPerLine: (cpu * 1000) / lines };
  } finally {
    await serve.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '10' }, rates: { type: 'string', default: '100,1000' } },
  });
  const seconds = Number(values.seconds);
  const rates = values.rates.split(',').map(Number);
  const most = Math.max(...rates) * (seconds + WARMUP_MS / 1000 + 1);
  const source = join(tempDir('tl-tail-log-'), 'litellm.log');
  await generateLitellmLog(source, most);
  const rows = [await live(source, 0, seconds)];
  for (const rate of rates) rows.push(await live(source, rate, seconds));
  const bulk = await backlog(source, Math.max(...rates) * seconds);
  rows.push(bulk);
  console.log(`serve following a LiteLLM log, ${seconds} s a rate; CPU of all its threads`);
  console.log("load                         CPU ms/s   lines read   CPU us a line   x the backlog's");
  for (const r of rows)
    console.log(
      `${r.name.padEnd(26)} ${r.cpuMsPerS.toFixed(0).padStart(10)} ${String(r.lines).padStart(12)} ` +
        `${(r.lines ? r.usPerLine.toFixed(0) : '-').padStart(15)} ${(r.lines ? (r.usPerLine / bulk.usPerLine).toFixed(2) : '-').padStart(15)}`
    );
}

if (process.argv[2] === 'append') append(process.argv[3]!, process.argv[4]!, Number(process.argv[5]));
else
  main().catch((e: Error) => {
    console.error(e.stack ?? e.message);
    process.exit(1);
  });
