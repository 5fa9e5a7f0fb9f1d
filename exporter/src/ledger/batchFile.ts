import type { PricedRecord } from '../types';
import { apiKeyLabel, recordKey } from './keys';
import { columnType, UNKNOWN, USAGE_COLUMNS } from './schema';

/**
 * A batch of usage rows as a TSV file that DuckDB's CSV reader loads. Values that could break the format
 * (tab, newline, quote) are quoted CSV-style; an empty field is NULL. Times travel as epoch microseconds.
 */

const NEEDS_QUOTES = /[\t\n\r"]/;

function text(v: string | undefined): string {
  if (v === undefined) return '';
  return NEEDS_QUOTES.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

const num = (v: number | bigint | undefined): string => (v === undefined ? '' : String(v));

/** One row, in USAGE_COLUMNS order, newline-terminated. */
export function encodeUsageRow(r: PricedRecord, batch: number): string {
  return (
    [
      text(recordKey(r.source, r.requestId)),
      String(Math.round(r.startMs) * 1000),
      num(r.durationMs),
      text(r.user ?? UNKNOWN),
      text(apiKeyLabel(r)),
      text(r.apiKeyId),
      text(r.team ?? UNKNOWN),
      text(r.tier ?? UNKNOWN),
      text(r.model),
      text(r.provider),
      r.status,
      num(r.httpStatus),
      r.tokens.inputUncached,
      r.tokens.cacheRead,
      r.tokens.cacheWrite,
      r.tokens.output,
      r.tokens.reasoning,
      num(r.costPusd),
      num(r.chargePusd),
      text(r.priceVersion),
      r.costPusd !== undefined,
      batch,
    ].join('\t') + '\n'
  );
}

/** SELECT that reads a batch file into `usage`'s columns. The path is ours (the ledger's own), never input. */
export function usageBatchLoader(path: string): string {
  const columns = USAGE_COLUMNS.map(([name, type]) => `'${name}': '${name === 'start_time' ? 'BIGINT' : columnType(type)}'`).join(', ');
  const select = USAGE_COLUMNS.map(([name]) => (name === 'start_time' ? 'make_timestamp(start_time) AS start_time' : name)).join(', ');
  return `SELECT ${select} FROM read_csv('${path.replace(/'/g, "''")}', delim = '\\t', header = false, quote = '"', escape = '"', new_line = '\\n', auto_detect = false, columns = {${columns}})`;
}
