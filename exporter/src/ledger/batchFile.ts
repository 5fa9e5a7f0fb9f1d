import type { PricedRecord } from '../types';
import { apiKeyLabel, recordKey } from './keys';
import { columnType, UNKNOWN, USAGE_COLUMNS } from './schema';

/**
 * A batch of usage rows as a TSV file that DuckDB's CSV reader loads. Values that could break the format
 * (tab, newline, quote) are quoted CSV-style; an empty field is NULL. Times travel as epoch microseconds.
 * `ingest_batch` is not in the file: the loader adds it, as the batch number is known only at commit. Each
 * row ends with its place in the batch, so that of two repeats the first one read is the one kept.
 */

const NEEDS_QUOTES = /[\t\n\r"]/;

function text(v: string | undefined): string {
  if (v === undefined) return '';
  return NEEDS_QUOTES.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

const num = (v: number | bigint | undefined): string => (v === undefined ? '' : String(v));

/**
 * One row, in USAGE_COLUMNS order less `ingest_batch`, then `seq`, newline-terminated. `key` is the record's idempotency
 * key (the caller has it already). Built by concatenation, not an array join: this runs once per line.
 */
function encodeUsageRow(r: PricedRecord, key: string, seq: number): string {
  const t = r.tokens;
  return `${text(key)}\t${Math.round(r.startMs) * 1000}\t${num(r.durationMs)}\t${text(r.user ?? UNKNOWN)}\t${text(apiKeyLabel(r))}\t${text(r.apiKeyId)}\t${text(r.team ?? UNKNOWN)}\t${text(r.tier ?? UNKNOWN)}\t${text(r.model)}\t${text(r.provider)}\t${r.status}\t${num(r.httpStatus)}\t${t.inputUncached}\t${t.cacheRead}\t${t.cacheWrite}\t${t.output}\t${t.reasoning}\t${num(r.costPusd)}\t${num(r.chargePusd)}\t${text(r.priceVersion)}\t${r.costPusd !== undefined}\t${seq}\n`;
}

const BUFFER_BYTES = 4 << 20;

/**
 * A batch's rows as they go to the ledger: encoded TSV in pieces (by one thread or by two, see
 * pipeline/parseThread.ts), with the range of their start times: the only part of the ledger that can hold a
 * repeat of them.
 */
export interface EncodedRows {
  chunks: Buffer[];
  rows: number;
  /** Epoch ms. */
  minStartMs: number;
  maxStartMs: number;
}

export const NO_ROWS: EncodedRows = { chunks: [], rows: 0, minStartMs: Infinity, maxStartMs: -Infinity };

/** The rows of both, in one batch: row order within the file does not matter, `seq` keeps the order read. */
export function joinRows(a: EncodedRows, b: EncodedRows): EncodedRows {
  return {
    chunks: [...a.chunks, ...b.chunks],
    rows: a.rows + b.rows,
    minStartMs: Math.min(a.minStartMs, b.minStartMs),
    maxStartMs: Math.max(a.maxStartMs, b.maxStartMs),
  };
}

/**
 * Rows encoded into buffers as the records arrive, so no record outlives its line: holding a batch of
 * records (or of row strings) until the commit made the garbage collector copy and promote them all, which
 * cost more than the encoding itself. The buffers are a list, never copied to grow. Repeats are not looked
 * for here: the ledger leaves them out when it loads the batch (`newUsageRows`).
 */
export class UsageBatch {
  private readonly full: Buffer[] = [];
  private buf: Buffer | undefined;
  private used = 0;
  private rows = 0;
  private minStartMs = Infinity;
  private maxStartMs = -Infinity;

  /** `seq`: the record's place among the lines of its batch, in the order read. */
  add(r: PricedRecord, seq: number): void {
    const row = encodeUsageRow(r, recordKey(r.source, r.requestId), seq);
    const worst = row.length * 3; // UTF-8 bytes per UTF-16 unit, at most
    if (!this.buf || this.buf.length - this.used < worst) {
      if (this.buf) this.full.push(this.buf.subarray(0, this.used));
      this.buf = Buffer.allocUnsafe(Math.max(BUFFER_BYTES, worst));
      this.used = 0;
    }
    this.used += this.buf.write(row, this.used);
    this.rows++;
    if (r.startMs < this.minStartMs) this.minStartMs = r.startMs;
    if (r.startMs > this.maxStartMs) this.maxStartMs = r.startMs;
  }

  encoded(): EncodedRows {
    return {
      chunks: this.buf ? [...this.full, this.buf.subarray(0, this.used)] : [],
      rows: this.rows,
      minStartMs: this.minStartMs,
      maxStartMs: this.maxStartMs,
    };
  }
}

/**
 * The SELECT of a batch file's rows that are new to `usage`: it leaves out every row whose request is there
 * already, the same idempotency key with the same start time (a re-read, a replayed log). Only rows in the
 * batch's start-time range can match, and DuckDB skips the rest of the ledger by its zone maps, so the cost
 * does not grow with the ledger as a unique index on random request ids did. One writer at a time (the file
 * lock and `Ledger.write`) keeps the check and the insert together. The rows keep `seq` for
 * DROP_LATER_REPEATS. The path is ours (the ledger's own), never input.
 */
export function newUsageRows(path: string, batch: number, minStartMs: number, maxStartMs: number): string {
  const inFile = USAGE_COLUMNS.filter(([name]) => name !== 'ingest_batch');
  const columns = [
    ...inFile.map(([name, type]) => `'${name}': '${name === 'start_time' ? 'BIGINT' : columnType(type)}'`),
    `'seq': 'INTEGER'`,
  ].join(', ');
  const select = USAGE_COLUMNS.map(([name]) => {
    if (name === 'start_time') return 'make_timestamp(start_time) AS start_time';
    if (name === 'ingest_batch') return `${Math.trunc(batch)}::BIGINT AS ingest_batch`;
    return name;
  }).join(', ');
  const micros = (ms: number) => Math.round(ms) * 1000;
  return `SELECT * FROM (
      SELECT ${select}, seq
      FROM read_csv('${path.replace(/'/g, "''")}', delim = '\\t', header = false, quote = '"', escape = '"', new_line = '\\n', auto_detect = false, columns = {${columns}})
    ) b
    WHERE NOT EXISTS (
      SELECT 1 FROM usage u
      WHERE u.start_time BETWEEN make_timestamp(${micros(minStartMs)}) AND make_timestamp(${micros(maxStartMs)})
        AND u.record_key = b.record_key AND u.start_time = b.start_time)`;
}

/**
 * Repeats within a batch (a line logged twice) are rare, so they are looked for (cheap: one hash
 * aggregate) before they are removed (a self-join): of each, the first one read stays.
 */
export const COUNT_REPEATS =
  'SELECT count(*) AS n FROM (SELECT 1 FROM batch_rows GROUP BY record_key, start_time HAVING count(*) > 1)';
export const DROP_LATER_REPEATS = `DELETE FROM batch_rows b WHERE EXISTS (
  SELECT 1 FROM batch_rows e WHERE e.record_key = b.record_key AND e.start_time = b.start_time AND e.seq < b.seq)`;
