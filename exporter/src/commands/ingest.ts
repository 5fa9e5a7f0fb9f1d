import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FORMATS, FormatOption, DEFAULTS } from '../config/config';
import { Ledger } from '../ledger/ledger';
import { repriceUnpriced } from '../ledger/reprice';
import { Pipeline } from '../pipeline/pipeline';
import { RejectFile } from '../pipeline/rejectFile';
import { sourceContext } from '../pipeline/sourceContext';
import { IdentityMap } from '../pricing/identityMap';
import { loadPriceBooks } from '../pricing/loadPriceBook';
import { Pricer } from '../pricing/pricer';
import { FileFollower } from '../sources/fileFollower';
import { expandPattern } from '../sources/glob';
import { readStream } from '../sources/streamSource';
import { parseArgs } from 'node:util';
import { asUsage, UsageError } from './args';

export const INGEST_USAGE = `Usage: tokenledger ingest --db FILE --prices FILE [--prices FILE ...] [--format F] [--rejects FILE] [--batch-lines N] LOGFILE... (- for stdin)
  One-shot backfill: reads the log files into the ledger, prints a summary, exits.
  Re-running it on the same files reads only what was added since (positions are kept in the ledger).
  --format   auto (default), litellm, kong, envoy
  --rejects      quarantine file for refused lines (default: rejects.jsonl beside the ledger)
  --batch-lines  lines per ledger transaction (default ${DEFAULTS.batchLines})`;

/** Runs `tokenledger ingest`; returns the exit code (0 even when lines were rejected: they are reported). */
export async function runIngest(argv: string[]): Promise<number> {
  const { values, positionals } = asUsage(() =>
    parseArgs({ args: argv, allowPositionals: true, options: { db: { type: 'string' }, prices: { type: 'string', multiple: true }, format: { type: 'string' }, rejects: { type: 'string' }, 'batch-lines': { type: 'string' } } }),
  );
  if (!values.db) throw new UsageError('--db is required');
  if (!values.prices?.length) throw new UsageError('--prices is required');
  if (!positionals.length) throw new UsageError('give at least one log file (or - for stdin)');
  const format = (values.format ?? 'auto') as FormatOption;
  if (!FORMATS.includes(format) || format === 'generic') throw new UsageError(`--format: expected one of auto, litellm, kong, envoy (generic needs a config file and serve), got ${JSON.stringify(values.format)}`);
  const batchLines = values['batch-lines'] === undefined ? DEFAULTS.batchLines : Number(values['batch-lines']);
  if (!Number.isInteger(batchLines) || batchLines < 1) throw new UsageError('--batch-lines: expected a positive integer');
  const useStdin = positionals.includes('-');
  const files = positionals.filter((p) => p !== '-');
  for (const f of files) if (expandPattern(f).length === 0) throw new IngestError(`${f}: no such file (or no file matches)`);

  const pricer = new Pricer(loadPriceBooks(values.prices));
  for (const w of pricer.book.warnings) process.stderr.write(`warning: ${w}\n`);
  const dbPath = resolve(values.db);
  mkdirSync(dirname(dbPath), { recursive: true });
  const rejectsPath = resolve(values.rejects ?? `${dirname(dbPath)}/rejects.jsonl`);
  const rejectFile = new RejectFile(rejectsPath);
  const ledger = await Ledger.open(dbPath);
  const identities = new IdentityMap([], undefined);
  const pipeline = new Pipeline({ ledger, pricer: () => pricer, identities: () => identities, metrics: undefined, batchLines, onRejects: (r) => rejectFile.append(r) });
  const started = Date.now();
  try {
    const repriced = await repriceUnpriced(ledger, pricer);
    const source = sourceContext({ name: 'ingest', paths: files, stdin: false, format, mappings: {}, keyNamespace: undefined, startAt: 'beginning' });
    const handler = pipeline.handler(source);
    const follower = new FileFollower({ source: 'ingest', patterns: files, maxLineBytes: DEFAULTS.maxLineBytes, rotateWaitMs: 0, startAt: 'beginning', warn: (m) => process.stderr.write(`warning: ${m}\n`) });
    await follower.init(await ledger.readPositions('ingest'));
    const progress = process.stderr.isTTY ? setInterval(() => showProgress(follower, pipeline.stats.linesRead, started), 500) : undefined;
    try {
      if (files.length) await follower.drainAll(handler);
      if (useStdin) await readStream(process.stdin, '-', DEFAULTS.maxLineBytes, handler);
      await pipeline.flush();
    } finally {
      if (progress) {
        clearInterval(progress);
        process.stderr.write('\r\x1b[K');
      }
    }
    const s = pipeline.stats;
    const seconds = (Date.now() - started) / 1000;
    const rejected = [...s.rejected.values()].reduce((a, b) => a + b, 0);
    const lines = [
      'ingest summary',
      `  lines read:      ${s.linesRead}`,
      `  records stored:  ${s.recordsStored}`,
      `  duplicates:      ${s.duplicates} (already in the ledger, not counted again)`,
      `  rejected:        ${rejected}${rejected ? ` (${[...s.rejected].map(([r, n]) => `${r} ${n}`).join(', ')}) -> ${rejectsPath}` : ''}`,
      `  unpriced:        ${s.unpriced}${s.unpriced ? ' (stored with tokens; priced when their model gets a price)' : ''}`,
      ...(repriced ? [`  re-priced:       ${repriced} earlier record(s) whose model now has a price`] : []),
      ...follower.held().map((h) => `  held back:       ${h.path}:${h.line} (${h.bytes} bytes without a final newline; read when it is completed)`),
      `  elapsed:         ${seconds.toFixed(1)}s (${Math.round(s.linesRead / Math.max(seconds, 0.001))} lines/s)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    await follower.close();
    return 0;
  } finally {
    await pipeline.close();
    await ledger.close();
  }
}

/** The run could not do its job (unreadable file): exit 1. */
export class IngestError extends Error {}

function showProgress(follower: FileFollower, lines: number, started: number): void {
  const seconds = Math.max((Date.now() - started) / 1000, 0.001);
  const files = follower.progress().map((p) => `${p.path.split('/').pop()} ${p.size ? Math.floor((p.read / p.size) * 100) : 100}%`);
  process.stderr.write(`\r\x1b[K${lines} lines (${Math.round(lines / seconds)} lines/s) ${files.join('  ')}`);
}
