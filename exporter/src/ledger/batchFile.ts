import type { PricedRecord } from '../types';
import { apiKeyLabel, recordKey } from './keys';
import { columnType, UNKNOWN, USAGE_COLUMNS } from './schema';

/**
 * A batch of usage rows as a TSV file that DuckDB's CSV reader loads. Values that could break the format
 * (tab, newline, quote) are quoted CSV-style; an empty field is NULL. Times travel as epoch microseconds.
 * `ingest_batch` is not in the file: the loader adds it, as the batch number is known only at commit.
 */

const NEEDS_QUOTES = /[\t\n\r"]/;

function text(v: string | undefined): string {
  if (v === undefined) return '';
  return NEEDS_QUOTES.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

const num = (v: number | bigint | undefined): string => (v === undefined ? '' : String(v));

/**
 * One row, in USAGE_COLUMNS order less `ingest_batch`, newline-terminated. `key` is the record's idempotency
 * key (the caller has it already). Built by concatenation, not an array join: this runs once per line.
 */
function encodeUsageRow(r: PricedRecord, key: string): string {
  const t = r.tokens;
  return `${text(key)}\t${Math.round(r.startMs) * 1000}\t${num(r.durationMs)}\t${text(r.user ?? UNKNOWN)}\t${text(apiKeyLabel(r))}\t${text(r.apiKeyId)}\t${text(r.team ?? UNKNOWN)}\t${text(r.tier ?? UNKNOWN)}\t${text(r.model)}\t${text(r.provider)}\t${r.status}\t${num(r.httpStatus)}\t${t.inputUncached}\t${t.cacheRead}\t${t.cacheWrite}\t${t.output}\t${t.reasoning}\t${num(r.costPusd)}\t${num(r.chargePusd)}\t${text(r.priceVersion)}\t${r.costPusd !== undefined}\n`;
}

/**
 * The rows of one batch, encoded into a growing buffer as the records arrive, so no record outlives its
 * line: holding a batch of records (or of row strings) until the commit made the garbage collector copy
 * and promote them all, which cost more than the encoding itself.
 */
export class UsageBatch {
  private buf = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  /** The keys in the batch: a repeat of one within the batch is left out here, repeats of stored ones by the ledger. */
  private readonly keys = new Set<string>();

  get rows(): number {
    return this.keys.size;
  }

  /** Adds a record's row; false (and nothing added) when the batch holds its key already. */
  add(r: PricedRecord): boolean {
    const key = recordKey(r.source, r.requestId);
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    const row = encodeUsageRow(r, key);
    const worst = row.length * 3; // UTF-8 bytes per UTF-16 unit, at most
    if (this.buf.length - this.used < worst) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.used + worst));
      this.buf.copy(bigger, 0, 0, this.used);
      this.buf = bigger;
    }
    this.used += this.buf.write(row, this.used);
    return true;
  }

  /** The file's content. */
  bytes(): Buffer {
    return this.buf.subarray(0, this.used);
  }
}

/** SELECT that reads a batch file into `usage`'s columns. The path is ours (the ledger's own), never input. */
export function usageBatchLoader(path: string, batch: number): string {
  const inFile = USAGE_COLUMNS.filter(([name]) => name !== 'ingest_batch');
  const columns = inFile.map(([name, type]) => `'${name}': '${name === 'start_time' ? 'BIGINT' : columnType(type)}'`).join(', ');
  const select = USAGE_COLUMNS.map(([name]) => {
    if (name === 'start_time') return 'make_timestamp(start_time) AS start_time';
    if (name === 'ingest_batch') return `${Math.trunc(batch)}::BIGINT AS ingest_batch`;
    return name;
  }).join(', ');
  return `SELECT ${select} FROM read_csv('${path.replace(/'/g, "''")}', delim = '\\t', header = false, quote = '"', escape = '"', new_line = '\\n', auto_detect = false, columns = {${columns}})`;
}
