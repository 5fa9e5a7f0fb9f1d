import { closeSync, createReadStream, ftruncateSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { PricedRecord, TokenBuckets, ToolCalls } from '../types';
import { apiKeyLabel, recordKey } from './keys';
import { UNKNOWN } from './schema';

/**
 * A batch's usage rows, encoded as they are read in the format the ledger's engine loads in bulk: DuckDB's
 * CSV reader (`duckdb`) or PostgreSQL's COPY text format (`postgres`). Both are one line per row, fields
 * separated by tabs, in ENCODED_COLUMNS order (schema.ts), then the row's place in its batch
 * (`seq`: of two repeats, the first read is kept). Times travel as epoch microseconds. The engine adds what
 * it knows only at commit (the batch number, the node). Encoding happens in the parse threads, so each
 * engine says which format it wants (`Ledger.rowFormat`), and the threads pick the encoder by that name.
 */
export type RowFormat = 'duckdb' | 'postgres';

export const ROW_FORMATS: readonly RowFormat[] = ['duckdb', 'postgres'];

/** How one engine writes a text value and a missing one. */
interface TextCodec {
  text(v: string): string;
  missing: string;
}

const NEEDS_QUOTES = /[\t\n\r"]/;
/** DuckDB's CSV reader: a value that could break the format is quoted CSV-style; an empty field is NULL. */
const DUCKDB: TextCodec = {
  text: (v) => (NEEDS_QUOTES.test(v) ? `"${v.replace(/"/g, '""')}"` : v),
  missing: '',
};

const NEEDS_ESCAPES = /[\t\n\r\\]/;
const ESCAPES: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', '\\': '\\\\' };
/** PostgreSQL's COPY text format: backslash escapes, `\N` for NULL (postgresql.org/docs/current/sql-copy.html). */
const POSTGRES: TextCodec = {
  text: (v) => (NEEDS_ESCAPES.test(v) ? v.replace(/[\t\n\r\\]/g, (c) => ESCAPES[c]!) : v),
  missing: '\\N',
};

const CODECS: Record<RowFormat, TextCodec> = { duckdb: DUCKDB, postgres: POSTGRES };

/**
 * A usage row as the ledger holds it: its stored values, not the record they were made from (the key and
 * the api_key label already derived). What `Ledger.readUsage` gives, and `UsageBatch.addStored` takes, to copy
 * a ledger into another.
 */
export interface StoredUsage {
  recordKey: string;
  startMs: number;
  durationMs: number | undefined;
  user: string;
  apiKey: string;
  apiKeyId: string | undefined;
  team: string;
  tier: string;
  model: string;
  provider: string | undefined;
  status: 'success' | 'failure';
  httpStatus: number | undefined;
  tokens: TokenBuckets;
  modelRequested: string | undefined;
  baseModel: string | undefined;
  serviceTier: string | undefined;
  speed: string | undefined;
  inferenceGeo: string | undefined;
  toolCalls: ToolCalls;
  gatewayCacheHit: boolean;
  usageReported: boolean;
  reportedCostPusd: bigint | undefined;
  costPusd: bigint | undefined;
  /** The per-call fees inside `costPusd`; undefined while unpriced. */
  feePusd: bigint | undefined;
  chargePusd: bigint | undefined;
  pricedModel: string | undefined;
  priceVersion: string | undefined;
  pricedOnIngest: boolean;
}

/** A record as the row the ledger will hold. One object per line, of one shape: cheap, and never kept. */
function storedFrom(r: PricedRecord): StoredUsage {
  return {
    recordKey: recordKey(r.source, r.requestId),
    startMs: r.startMs,
    durationMs: r.durationMs,
    user: r.user ?? UNKNOWN,
    apiKey: apiKeyLabel(r),
    apiKeyId: r.apiKeyId,
    team: r.team ?? UNKNOWN,
    tier: r.tier ?? UNKNOWN,
    model: r.model,
    provider: r.provider,
    status: r.status,
    httpStatus: r.httpStatus,
    tokens: r.tokens,
    modelRequested: r.modelRequested,
    baseModel: r.baseModel,
    serviceTier: r.serviceTier,
    speed: r.speed,
    inferenceGeo: r.inferenceGeo,
    toolCalls: r.toolCalls,
    gatewayCacheHit: r.gatewayCacheHit,
    usageReported: r.usageReported,
    reportedCostPusd: r.reportedCostPusd,
    costPusd: r.costPusd,
    feePusd: r.costPusd === undefined ? undefined : (r.feePusd ?? 0n),
    chargePusd: r.chargePusd,
    pricedModel: r.costPusd === undefined ? undefined : r.pricedModel,
    priceVersion: r.priceVersion,
    pricedOnIngest: r.costPusd !== undefined,
  };
}

/**
 * One row, newline-terminated, in ENCODED_COLUMNS order (the fee is stored as 0 while unpriced). Built by
 * concatenation, not an array join: this runs once per line.
 */
function encodeUsageRow(c: TextCodec, r: StoredUsage, seq: number): string {
  return `${encodeUsualColumns(c, r)}\t${encodeRareColumns(c, r)}\t${encodeLastColumns(c, r)}\t${seq}\n`;
}

/** The columns of ENCODED_COLUMNS up to `model_requested`. */
function encodeUsualColumns(c: TextCodec, r: StoredUsage): string {
  const t = r.tokens;
  const opt = (v: string | undefined) => (v === undefined ? c.missing : c.text(v));
  const num = (v: number | bigint | undefined) => (v === undefined ? c.missing : String(v));
  return `${c.text(r.recordKey)}\t${Math.round(r.startMs) * 1000}\t${num(r.durationMs)}\t${c.text(r.user)}\t${c.text(r.apiKey)}\t${opt(r.apiKeyId)}\t${c.text(r.team)}\t${c.text(r.tier)}\t${c.text(r.model)}\t${opt(r.provider)}\t${r.status}\t${num(r.httpStatus)}\t${t.inputUncached}\t${t.cacheRead}\t${t.cacheWrite}\t${t.output}\t${t.reasoning}\t${num(r.costPusd)}\t${num(r.chargePusd)}\t${opt(r.priceVersion)}\t${r.pricedOnIngest}\t${opt(r.modelRequested)}`;
}

/** RARE_COLUMNS, in their ENCODED_COLUMNS order. */
function encodeRareColumns(c: TextCodec, r: StoredUsage): string {
  const t = r.tokens;
  const k = r.toolCalls;
  const opt = (v: string | undefined) => (v === undefined ? c.missing : c.text(v));
  return `${opt(r.baseModel)}\t${opt(r.serviceTier)}\t${opt(r.speed)}\t${opt(r.inferenceGeo)}\t${t.cacheWrite1h}\t${t.inputAudio}\t${t.inputImage}\t${t.inputVideo}\t${t.outputAudio}\t${t.outputImage}\t${k.webSearchQueries}\t${opt(k.webSearchContext)}\t${k.fileSearchCalls}\t${k.codeInterpreterSessions}\t${k.mapsGroundingQueries}\t${r.gatewayCacheHit}\t${r.usageReported}`;
}

/** The columns of ENCODED_COLUMNS after RARE_COLUMNS. */
function encodeLastColumns(c: TextCodec, r: StoredUsage): string {
  const num = (v: number | bigint | undefined) => (v === undefined ? c.missing : String(v));
  return `${num(r.reportedCostPusd)}\t${r.feePusd ?? 0n}\t${r.pricedModel === undefined ? c.missing : c.text(r.pricedModel)}`;
}

/**
 * The pricing inputs few requests carry (a 1-hour cache write, audio, a service tier, a web search, ...): a row
 * whose values of these are all their columns' fill is written to DuckDB without them (`encodeShortRow`). DuckDB's
 * `usage` does not hold them: the rows that have any keep them in `usage_rare` (duckdb/schema.ts). Reading and
 * storing 17 more columns of every row cost more than the rest of the commit had grown by (bench/README.md, #16).
 */
export const RARE_COLUMNS: readonly string[] = [
  'base_model',
  'service_tier',
  'speed',
  'inference_geo',
  'cache_write_1h',
  'input_audio',
  'input_image',
  'input_video',
  'output_audio',
  'output_image',
  'web_search_queries',
  'web_search_context',
  'file_search_calls',
  'code_interpreter_sessions',
  'maps_grounding_queries',
  'gateway_cache_hit',
  'usage_reported',
];

/** Whether every one of the row's RARE_COLUMNS holds its column's fill (schema.ts). */
function rareColumnsAtFill(r: StoredUsage): boolean {
  const t = r.tokens;
  const k = r.toolCalls;
  return (
    r.baseModel === undefined &&
    r.serviceTier === undefined &&
    r.speed === undefined &&
    r.inferenceGeo === undefined &&
    t.cacheWrite1h === 0 &&
    t.inputAudio === 0 &&
    t.inputImage === 0 &&
    t.inputVideo === 0 &&
    t.outputAudio === 0 &&
    t.outputImage === 0 &&
    k.webSearchQueries === 0 &&
    k.webSearchContext === undefined &&
    k.fileSearchCalls === 0 &&
    k.codeInterpreterSessions === 0 &&
    k.mapsGroundingQueries === 0 &&
    !r.gatewayCacheHit &&
    r.usageReported
  );
}

/** A row without RARE_COLUMNS, newline-terminated: ENCODED_COLUMNS' order, then `seq`. */
function encodeShortRow(c: TextCodec, r: StoredUsage, seq: number): string {
  return `${encodeUsualColumns(c, r)}\t${encodeLastColumns(c, r)}\t${seq}\n`;
}

/** Encoded text gathered before a write to a spool file: few system calls, one buffer per file. */
const SPOOL_BUFFER_BYTES = 1 << 20;

/**
 * A file of a batch's encoded rows in the ledger's spool (Ledger.rowSpool), from the thread that encoded them
 * to the commit that loads it.
 */
export interface SpooledFile {
  path: string;
  /** The bytes of the file that hold rows: a write that failed half-way may have left more after them. */
  bytes: number;
  /** Rows a write could not put in the file (a full disk, say): `finishSpool` writes them before the commit. */
  unwritten: Buffer[];
}

/**
 * A batch's rows as they go to the ledger: encoded (by one thread or by two, see pipeline/parseThread.ts) into
 * files of the ledger's spool, with the range of their start times (the only part of the ledger that can hold a
 * repeat of them) and the months they fall in (the partitions they need). Held in files, not in memory, from
 * the line to the commit: a batch's rows in buffers were the largest part of `ingest`'s memory (bench/README.md
 * "Footprint", #14), and the engines load files anyway.
 */
export interface EncodedRows {
  format: RowFormat;
  /** Rows with every column; for `duckdb`, only those whose RARE_COLUMNS are not all at their fill. */
  files: SpooledFile[];
  /** `duckdb` only: the rows without RARE_COLUMNS (encodeShortRow). */
  shortFiles: SpooledFile[];
  /** Rows in both. */
  rows: number;
  /** Rows in `shortFiles`. */
  shortRows: number;
  /** Epoch ms. */
  minStartMs: number;
  maxStartMs: number;
  /** UTC months of the rows' start times, as year * 12 + month (0-11). */
  months: number[];
}

export const noRows = (format: RowFormat): EncodedRows => ({
  format,
  files: [],
  shortFiles: [],
  rows: 0,
  shortRows: 0,
  minStartMs: Infinity,
  maxStartMs: -Infinity,
  months: [],
});

/** The rows of both, in one batch: row order does not matter, `seq` keeps the order read. */
export function joinRows(a: EncodedRows, b: EncodedRows): EncodedRows {
  if (a.rows === 0) return b;
  if (b.rows === 0) return a;
  if (a.format !== b.format) throw new Error(`rows encoded for ${a.format} and ${b.format} in one batch`);
  return {
    format: a.format,
    files: [...a.files, ...b.files],
    shortFiles: [...a.shortFiles, ...b.shortFiles],
    rows: a.rows + b.rows,
    shortRows: a.shortRows + b.shortRows,
    minStartMs: Math.min(a.minStartMs, b.minStartMs),
    maxStartMs: Math.max(a.maxStartMs, b.maxStartMs),
    months: [...new Set([...a.months, ...b.months])],
  };
}

/** Every file of a batch, whole rows and short ones. */
export const spooledFiles = (rows: EncodedRows): SpooledFile[] => [...rows.files, ...rows.shortFiles];

/**
 * Writes what failed writes left in memory into the batch's files, so that every row is in its file; throws
 * while it still cannot (the commit fails, and is tried again). The engines call it first in a commit.
 */
export function finishSpool(rows: EncodedRows): void {
  for (const f of spooledFiles(rows)) {
    if (!f.unwritten.length) continue;
    mkdirSync(dirname(f.path), { recursive: true });
    const fd = openSync(f.path, 'a');
    try {
      ftruncateSync(fd, f.bytes); // what a failed write left after the rows
      while (f.unwritten.length) {
        const data = f.unwritten[0]!;
        writeAll(fd, data);
        f.bytes += data.length;
        f.unwritten.shift();
      }
    } finally {
      closeSync(fd);
    }
  }
}

/** A batch's files, one after the other, as one text (PostgreSQL's COPY reads it). */
export async function* spooledText(rows: EncodedRows): AsyncGenerator<Buffer> {
  for (const f of spooledFiles(rows)) yield* createReadStream(f.path);
}

/** Removes a batch's files, once it is committed (or never will be: the spool is emptied at open anyway). */
export function removeSpool(rows: EncodedRows): void {
  for (const f of spooledFiles(rows)) rmSync(f.path, { force: true });
}

/** The UTC month of an epoch-ms time, as year * 12 + month (0-11). */
export function monthOf(ms: number): number {
  const d = new Date(ms);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

function writeAll(fd: number, data: Buffer): void {
  for (let done = 0; done < data.length;) done += writeSync(fd, data, done);
}

/** Names a thread's spool files: unique in the process (thread id) and in the thread (a count). */
let spoolFiles = 0;
const spoolFileName = (dir: string, kind: string): string => join(dir, `${threadId}-${++spoolFiles}-${kind}.tsv`);

/** Rows appended to a spool file through one buffer; opened with its first write. */
class RowFile {
  private fd: number | undefined;
  /** Made with the first row: a file that gets none (PostgreSQL's short rows, say) costs nothing. */
  private buf: Buffer | undefined;
  private used = 0;
  private readonly file: SpooledFile;
  rows = 0;

  constructor(path: string) {
    this.file = { path, bytes: 0, unwritten: [] };
  }

  append(row: string): void {
    const worst = row.length * 3; // UTF-8 bytes per UTF-16 unit, at most
    this.buf ??= Buffer.allocUnsafe(SPOOL_BUFFER_BYTES);
    if (this.buf.length - this.used < worst) {
      this.flush();
      if (worst > this.buf.length) {
        this.write(Buffer.from(row));
        this.rows++;
        return;
      }
    }
    this.used += this.buf.write(row, this.used);
    this.rows++;
  }

  /** The file, closed; undefined when it got no rows (and so was never made). */
  done(): SpooledFile | undefined {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    return this.rows ? this.file : undefined;
  }

  private flush(): void {
    if (!this.buf || !this.used) return;
    this.write(this.buf.subarray(0, this.used));
    this.used = 0;
  }

  private write(data: Buffer): void {
    if (!this.file.unwritten.length) {
      try {
        this.fd ??= openSync(this.file.path, 'w');
        writeAll(this.fd, data);
        this.file.bytes += data.length;
        return;
      } catch {
        // Kept for the commit, which writes it (finishSpool) or fails with the reason, and is tried again: a
        // full disk holds the batch back, as a failing commit does, and loses nothing.
      }
    }
    this.file.unwritten.push(Buffer.from(data)); // a copy: `data` may be the buffer used again
  }
}

/**
 * Rows encoded into spool files as the records arrive, so no record outlives its line: holding a batch of
 * records (or of row strings) until the commit made the garbage collector copy and promote them all, which
 * cost more than the encoding itself. Repeats are not looked for here: the ledger leaves them out when it
 * loads the batch. For DuckDB, rows whose RARE_COLUMNS are all at their fill go to a file of their own,
 * without them.
 */
export class UsageBatch {
  private readonly codec: TextCodec;
  private readonly whole: RowFile;
  private readonly short: RowFile;
  private readonly shortRowsApart: boolean;
  private minStartMs = Infinity;
  private maxStartMs = -Infinity;
  private readonly months = new Set<number>();
  /** The current month's bounds: most rows of a batch fall in one month, so monthOf runs rarely. */
  private monthFromMs = Infinity;
  private monthToMs = -Infinity;

  /** `spool`: the directory of the ledger's spool (Ledger.rowSpool). */
  constructor(
    readonly format: RowFormat,
    spool: string
  ) {
    this.codec = CODECS[format];
    this.shortRowsApart = format === 'duckdb';
    this.whole = new RowFile(spoolFileName(spool, 'whole'));
    this.short = new RowFile(spoolFileName(spool, 'short'));
  }

  /** `seq`: the record's place among the lines of its batch, in the order read. */
  add(r: PricedRecord, seq: number): void {
    this.addStored(storedFrom(r), seq);
  }

  /** A row as another ledger holds it (`Ledger.readUsage`), to copy it as it is. */
  addStored(r: StoredUsage, seq: number): void {
    if (this.shortRowsApart && rareColumnsAtFill(r)) this.short.append(encodeShortRow(this.codec, r, seq));
    else this.whole.append(encodeUsageRow(this.codec, r, seq));
    if (r.startMs < this.minStartMs) this.minStartMs = r.startMs;
    if (r.startMs > this.maxStartMs) this.maxStartMs = r.startMs;
    if (r.startMs < this.monthFromMs || r.startMs >= this.monthToMs) this.enterMonth(r.startMs);
  }

  private enterMonth(ms: number): void {
    const month = monthOf(ms);
    this.months.add(month);
    this.monthFromMs = Date.UTC(Math.floor(month / 12), month % 12, 1);
    this.monthToMs = Date.UTC(Math.floor(month / 12), (month % 12) + 1, 1);
  }

  /** The batch's rows, their files closed: called once, when no row is left to add. */
  encoded(): EncodedRows {
    const listed = (f: SpooledFile | undefined) => (f ? [f] : []);
    return {
      format: this.format,
      files: listed(this.whole.done()),
      shortFiles: listed(this.short.done()),
      rows: this.whole.rows + this.short.rows,
      shortRows: this.short.rows,
      minStartMs: this.minStartMs,
      maxStartMs: this.maxStartMs,
      months: [...this.months],
    };
  }
}
