/**
 * Ingest benchmark: the full pipeline (read, frame, parse, normalise, price, DuckDB ledger with
 * exactly-once commits, metrics aggregate) against a bare `readline + JSON.parse` loop over the same file in
 * the same process, printed as a ratio: the median of rounds in which the two alternate. Peak RSS is sampled
 * through each run to show memory stays bounded.
 * Two logs: LiteLLM payloads without content (~1 KB a line) and with 3 KB of prompt and response text, as
 * LiteLLM logs by default: the fixed per-record cost weighs differently against the parse of each.
 *   npm run bench -- [lines] [content bytes,...]     (default 1,000,000 lines; logs with 0 and 3000 bytes of content)
 */
import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DEFAULTS } from '../exporter/src/config/config';
import { DEFAULT_METRICS_CONFIG, ExporterMetrics } from '../exporter/src/metrics/exporterMetrics';
import { DuckDbLedger } from '../exporter/src/ledger/duckdb/duckDbLedger';
import { Pipeline } from '../exporter/src/pipeline/pipeline';
import { sourceContext } from '../exporter/src/pipeline/sourceContext';
import { IdentityMap } from '../exporter/src/pricing/identityMap';
import { loadPriceBooks } from '../exporter/src/pricing/loadPriceBook';
import { Pricer } from '../exporter/src/pricing/pricer';
import { FileFollower } from '../exporter/src/sources/fileFollower';
import { generateLitellmLog } from './generateLitellmLog';

interface Run {
  seconds: number;
  lines: number;
  peakRssMb: number;
  /** RSS when a quarter, half, three quarters and all of the lines were through. */
  rssAtQuarters: number[];
}

async function measure(total: number, work: (progress: () => number) => Promise<number>): Promise<Run> {
  let peak = 0;
  let done = 0;
  const quarters: number[] = [];
  const sample = setInterval(() => {
    const rss = process.memoryUsage().rss;
    peak = Math.max(peak, rss);
    while (quarters.length < 4 && done >= (total * (quarters.length + 1)) / 4) quarters.push(Math.round(rss / 1048576));
  }, 20);
  const t0 = process.hrtime.bigint();
  const lines = await work(() => done++);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  clearInterval(sample);
  while (quarters.length < 4) quarters.push(Math.round(process.memoryUsage().rss / 1048576));
  return {
    seconds,
    lines,
    peakRssMb: Math.round(Math.max(peak, process.memoryUsage().rss) / 1048576),
    rssAtQuarters: quarters,
  };
}

async function bareLoop(file: string, total: number): Promise<Run> {
  return measure(total, async (tick) => {
    let n = 0;
    const agg = new Map<string, number>();
    const rl = createInterface({ input: createReadStream(file, { highWaterMark: 1 << 16 }), crlfDelay: Infinity });
    for await (const line of rl) {
      const r = JSON.parse(line) as { model: string; prompt_tokens: number };
      agg.set(r.model, (agg.get(r.model) ?? 0) + r.prompt_tokens); // keep the parse from being optimised away
      n++;
      tick();
    }
    return n;
  });
}

async function fullPipeline(file: string, dir: string, total: number): Promise<{ run: Run; stored: number }> {
  mkdirSync(dir);
  const prices = join(dir, 'prices.yaml');
  writeFileSync(
    prices,
    `models:\n${['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4-5', 'claude-haiku-4-5', 'o4-mini'].map((m) => `  ${m}:\n    prices: [{ input: 2.5, cache_read: 1.25, output: 10 }]\n`).join('')}`
  );
  const ledger = await DuckDbLedger.open(join(dir, 'bench.duckdb'), { node: 'bench' });
  const pricer = new Pricer(loadPriceBooks([prices]));
  const identities = new IdentityMap([], 'standard');
  const metrics = new ExporterMetrics(DEFAULT_METRICS_CONFIG, () => []);
  const pipeline = new Pipeline({
    ledger,
    pricer: () => pricer,
    identities: () => identities,
    metrics,
    batchLines: DEFAULTS.batchLines,
    onRejects: () => undefined,
  });
  const handler = pipeline.handler(
    sourceContext({
      name: 'bench',
      paths: [file],
      stdin: false,
      format: 'auto',
      mappings: {},
      keyNamespace: undefined,
      startAt: 'beginning',
      maxFiles: 1,
      otherLines: 'reject',
      container: 'none',
      prometheus: undefined,
    })
  );
  const follower = new FileFollower({
    source: 'bench',
    patterns: [file],
    maxLineBytes: DEFAULTS.maxLineBytes,
    rotateWaitMs: 0,
    startAt: 'beginning',
    events: () => undefined,
  });
  await follower.init([]);
  const run = await measure(total, async (tick) => {
    await follower.drainAll(async (read) => {
      for (let i = 0; i < read.texts.length; i++) tick();
      await handler(read);
    });
    await pipeline.flush();
    return pipeline.stats.linesRead;
  });
  // A scrape at the end proves the aggregate is complete; it is not part of the timed run.
  const scrape = Buffer.concat(await metrics.exposition()).toString();
  if (!scrape.includes('tokenledger_requests_total')) throw new Error('metrics missing');
  await follower.close();
  await pipeline.close();
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
  return { run, stored: pipeline.stats.recordsStored };
}

/** Bare and pipeline runs alternate, so a slow spell of a shared machine weighs on both of a round's runs. */
const ROUNDS = 3;

async function compare(dir: string, total: number, contentBytes: number): Promise<void> {
  const file = join(dir, `litellm-${contentBytes}.jsonl`);
  const bytes = await generateLitellmLog(file, total, contentBytes);
  console.log(
    `\nlog: ${total.toLocaleString('en')} LiteLLM lines, ${(bytes / 1048576).toFixed(0)} MiB (${Math.round(bytes / total)} B/line${contentBytes ? `, ${contentBytes} B of prompt/response content` : ', no content'})`
  );
  await bareLoop(file, total); // warm the page cache and the JIT
  const rate = (r: Run) => Math.round(r.lines / r.seconds);
  const row = (name: string, r: Run) =>
    `  ${name.padEnd(44)} ${String(rate(r).toLocaleString('en')).padStart(9)} lines/s  ${r.seconds.toFixed(2).padStart(6)} s  peak RSS ${r.peakRssMb} MB  (RSS at 25/50/75/100 %: ${r.rssAtQuarters.join('/')} MB)`;
  const ratios: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const bare = await bareLoop(file, total);
    const { run: full, stored } = await fullPipeline(file, join(dir, `ledger-${contentBytes}-${round}`), total);
    if (full.lines !== total || stored !== total)
      throw new Error(`pipeline read ${full.lines} and stored ${stored} of ${total} lines`);
    ratios.push(rate(full) / rate(bare));
    console.log(`round ${round}`);
    console.log(row('bare readline + JSON.parse', bare));
    console.log(row('full pipeline (parse, price, DuckDB, metrics)', full));
    console.log(`  ratio full/bare: ${ratios[ratios.length - 1]!.toFixed(2)}`);
  }
  const median = [...ratios].sort((x, y) => x - y)[Math.floor(ROUNDS / 2)]!;
  console.log(
    `ratio full/bare, median of ${ROUNDS} rounds: ${median.toFixed(2)} (rounds: ${ratios.map((r) => r.toFixed(2)).join(', ')}; target >= 0.50)`
  );
  rmSync(file);
}

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 1_000_000);
  const contents = (process.argv[3] ?? '0,3000').split(',').map(Number);
  if (!Number.isSafeInteger(total) || total < 1 || contents.some((c) => !Number.isSafeInteger(c) || c < 0)) {
    throw new Error('usage: npm run bench -- [lines] [content bytes per line, comma-separated]');
  }
  const dir = mkdtempSync(join(tmpdir(), 'tl-bench-'));
  try {
    for (const content of contents) await compare(dir, total, content);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: Error) => {
  console.error(e);
  process.exitCode = 1;
});
