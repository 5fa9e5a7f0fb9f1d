import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { Config, DEFAULTS, FORMATS, FormatOption, loadConfig } from '../config/config';
import { ledgerSpecOf, LedgerSpec, openLedger } from '../ledger/open';
import { repriceWith } from '../ledger/reprice';
import { Pipeline } from '../pipeline/pipeline';
import { RejectFile } from '../pipeline/rejectFile';
import { BATCH_HEAP_TRIMMER, HeapTrimmer } from '../service/releaseHeap';
import type { SourceContext } from '../pipeline/sourceContext';
import { IdentityMap } from '../pricing/identityMap';
import { loadPriceBooks } from '../pricing/loadPriceBook';
import { Pricer } from '../pricing/pricer';
import { FileFollower } from '../sources/fileFollower';
import { describeEvent } from '../sources/followerEvents';
import { readStream } from '../sources/streamSource';
import type { ReadHandler } from '../sources/types';
import { parseArgs } from 'node:util';
import { asUsage, UsageError } from './args';
import { ensureDirectory, fsReason } from './fsProblem';
import { drawProgress } from './ingestProgress';
import { positionsOfFiles } from './ingestPositions';
import { INGEST_SOURCE, IngestSources } from './ingestSources';
import { checkLogFiles, UnreadableFile } from './logFiles';

export const INGEST_USAGE = `Usage: tokenledger ingest (--db FILE --prices FILE [--prices FILE ...] | --config FILE [--db FILE]) [--format F] [--rejects FILE] [--batch-lines N] LOGFILE... (- for stdin)
  One-shot backfill: reads the log files into the ledger, prints a summary, exits.
  Re-running it on the same files reads only what was added since (positions are kept in the ledger).
  Exit code 0 when the run completed (rejected lines are reported, not fatal); 1 when a log file cannot be
  read (the others are still ingested), or for a bad price book, config or ledger; 2 for a usage error.
  --config       serve's config file: its identities, default tier and per-source options (format, fields,
                 mapping, key_namespace of the source whose paths match a file) apply, as in serve; its
                 price books unless --prices is given, and its ledger unless --db is given (stop serve first:
                 one process writes a ledger)
  --db           a DuckDB file, or the shared ledger's postgres:// URL (rows are stored as this host's node,
                 or the config's node:)
  --format       auto (default), litellm, kong, envoy; replaces the format of a configured source
  --rejects      quarantine file for refused lines (default: rejects.jsonl beside a DuckDB ledger, else here)
  --batch-lines  lines per ledger transaction (default ${DEFAULTS.batchLines})`;

/** Runs `tokenledger ingest`; returns the exit code (0 even when lines were rejected: they are reported). */
export async function runIngest(argv: string[]): Promise<number> {
  const { values, positionals } = asUsage(() =>
    parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        db: { type: 'string' },
        prices: { type: 'string', multiple: true },
        config: { type: 'string' },
        format: { type: 'string' },
        rejects: { type: 'string' },
        'batch-lines': { type: 'string' },
      },
    })
  );
  if (!values.db && !values.config) throw new UsageError('--db is required (or --config, whose ledger is then used)');
  if (!values.prices?.length && !values.config)
    throw new UsageError('--prices is required (or --config with a prices key)');
  if (!positionals.length) throw new UsageError('give at least one log file (or - for stdin)');
  const format = values.format as FormatOption | undefined;
  if (format !== undefined && (!FORMATS.includes(format) || format === 'generic')) {
    throw new UsageError(
      `--format: expected one of auto, litellm, kong, envoy (generic is read through --config: a file that a source with a mapping matches), got ${JSON.stringify(values.format)}`
    );
  }
  const batchLines = values['batch-lines'] === undefined ? DEFAULTS.batchLines : Number(values['batch-lines']);
  if (!Number.isInteger(batchLines) || batchLines < 1)
    throw new UsageError('--batch-lines: expected a positive integer');
  const useStdin = positionals.includes('-');

  const config: Config | undefined = values.config === undefined ? undefined : loadConfig(values.config);
  const pricer = new Pricer(
    loadPriceBooks(values.prices?.length ? values.prices : config!.priceFiles, config?.litellmPricesEffectiveFromMs)
  );
  for (const w of pricer.book.warnings) process.stderr.write(`warning: ${w}\n`);
  const identities = new IdentityMap(config?.identities ?? [], config?.defaultTier);

  const notRead: UnreadableFile[] = [];
  const cannotRead = (u: UnreadableFile) => {
    notRead.push(u);
    process.stderr.write(`tokenledger ingest: ${u.path}: ${u.reason}\n`);
  };
  const { readable, unreadable } = checkLogFiles(positionals.filter((p) => p !== '-'));
  unreadable.forEach(cannotRead);
  if (!readable.length && !useStdin)
    throw new IngestError(
      `nothing ingested: ${unreadable.length === 1 ? 'the log file cannot' : 'none of the log files can'} be read`
    );

  const spec = ingestLedgerSpec(values.db, config);
  let rejectsBeside = '.';
  if (spec.engine === 'duckdb') {
    const dbProblem = ensureDirectory(dirname(spec.path));
    if (dbProblem)
      throw new IngestError(
        `${values.db ? `--db ${values.db}` : `${values.config}: ledger ${spec.path}`}: cannot create the ledger there: ${dbProblem}`
      );
    rejectsBeside = dirname(spec.path);
  }
  const rejectsPath = resolve(values.rejects ?? `${rejectsBeside}/rejects.jsonl`);
  const rejectsProblem = ensureDirectory(dirname(rejectsPath));
  if (rejectsProblem)
    throw new IngestError(
      `--rejects ${values.rejects ?? rejectsPath}: cannot create the reject file there: ${rejectsProblem}`
    );
  const rejectFile = new RejectFile(rejectsPath);
  const ledger = await openLedger(spec, { node: config?.node ?? hostname() });
  await rejectFile.recover(ledger);
  const pipeline = new Pipeline({
    ledger,
    pricer: () => pricer,
    identities: () => identities,
    metrics: undefined,
    batchLines,
    onRejects: (r, batch) => rejectFile.append(r, batch),
  });
  const started = Date.now();
  const heapTrimmer = new HeapTrimmer(BATCH_HEAP_TRIMMER);
  heapTrimmer.start();
  try {
    const repriced = await repriceWith(ledger, pricer);
    const sources = new IngestSources(readable, config?.sources ?? [], format);
    const handlers = new Map<SourceContext, ReadHandler>();
    const handlerFor = (context: SourceContext): ReadHandler => {
      let h = handlers.get(context);
      if (!h) handlers.set(context, (h = pipeline.handler(context)));
      return h;
    };
    // Lines are counted as they are read, for the progress line; the summary counts what was committed.
    let linesSeen = 0;
    const onFile: ReadHandler = (read) => {
      linesSeen += read.texts.length;
      return handlerFor(sources.contextFor(read.path))(read);
    };
    const onStdin: ReadHandler = (read) => {
      linesSeen += read.texts.length;
      return handlerFor(sources.stdin)(read);
    };
    const maxLineBytes = config?.maxLineBytes ?? DEFAULTS.maxLineBytes;
    const follower = new FileFollower({
      source: INGEST_SOURCE,
      patterns: readable,
      maxLineBytes,
      rotateWaitMs: 0,
      startAt: 'beginning',
      containerFor: (path) => sources.containerFor(path),
      events: (e) => {
        // Unreadable since it was checked: as unreadable as a file found so before.
        if (e.event === 'cannotOpen') return cannotRead({ path: e.path, reason: `cannot read: ${fsReason(e.error)}` });
        if (e.event === 'incompleteLastLine') return; // listed under "held back" in the summary
        const { level, message } = describeEvent(e);
        if (level === 'warn') process.stderr.write(`warning: ${message}\n`);
      },
    });
    try {
      await follower.init(positionsOfFiles(await ledger.readPositions(INGEST_SOURCE), readable));
      const stopProgress = drawProgress(process.stderr, () => ({ lines: linesSeen, files: follower.progress() }));
      try {
        if (readable.length) await follower.drainAll(onFile);
        if (useStdin) await readStream(process.stdin, '-', maxLineBytes, onStdin);
        await pipeline.flush();
      } finally {
        stopProgress();
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
        ...(s.skipped
          ? [`  skipped:         ${s.skipped} (not usage records, of sources with other_lines: ignore)`]
          : []),
        `  unpriced:        ${s.unpriced}${s.unpriced ? ' (stored with tokens; priced when their model gets a price)' : ''}`,
        ...(repriced ? [`  re-priced:       ${repriced} earlier record(s) whose model now has a price`] : []),
        ...follower
          .held()
          .map(
            (h) =>
              `  held back:       ${h.path}:${h.line} (${h.bytes} bytes without a final newline; read when it is completed)`
          ),
        ...notRead.map((u) => `  not read:        ${u.path}: ${u.reason}`),
        ...(format !== undefined &&
        format !== 'auto' &&
        s.linesRead > 0 &&
        s.rejected.get('unrecognized_format') === s.linesRead
          ? [
              `  hint:            no line is a ${format} record: is --format right? Without it each line's format is detected.`,
            ]
          : []),
        `  elapsed:         ${seconds.toFixed(1)}s (${Math.round(s.linesRead / Math.max(seconds, 0.001))} lines/s)`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    } finally {
      await follower.close();
    }
    if (notRead.length) {
      process.stderr.write(
        `tokenledger ingest: ${notRead.length} log file(s) could not be read (listed under "not read"); the others were ingested\n`
      );
      return 1;
    }
    return 0;
  } finally {
    heapTrimmer.stop();
    await pipeline.close();
    await ledger.close();
  }
}

/**
 * DuckDB's memory cap for `ingest` when the configuration sets none: half of serve's default. A batch job only
 * writes, and a batch's insert fits (its buffers peak at 70-110 MB); serve keeps the rest as its queries' cache.
 * It takes 30-60 MB off the peak of `ingest`, at no cost to its rate (bench/README.md "Footprint", #14).
 */
const INGEST_MEMORY_LIMIT = '128MB';

/** `--db` (a file, or a postgres:// URL) over the config's ledger; a file named on the command line keeps the config's memory cap. */
export function ingestLedgerSpec(db: string | undefined, config: Config | undefined): LedgerSpec {
  const configured = config?.ledger.engine === 'duckdb' ? config.ledger.memoryLimit : undefined;
  const spec = db === undefined ? config!.ledger : ledgerSpecOf(db);
  if (spec.engine === 'postgres') return spec;
  return { engine: 'duckdb', path: resolve(spec.path), memoryLimit: configured ?? INGEST_MEMORY_LIMIT };
}

/** The run could not do its job (unreadable file, unusable ledger path): exit 1. */
export class IngestError extends Error {}
