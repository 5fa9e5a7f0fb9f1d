import { Column, ENCODED_COLUMNS, USAGE_COLUMNS } from '../schema';
import { RARE_COLUMNS } from '../rows';
import { DUCKDB_TYPES, literal } from './schema';

/** The batch files of one commit (rows.ts, format `duckdb`): rows with every column, rows without RARE_COLUMNS. */
export interface BatchFiles {
  /** Undefined: no such rows in the batch. */
  whole: string | undefined;
  short: string | undefined;
}

const isRare = (c: Column) => RARE_COLUMNS.includes(c.name);

/** The types of a batch file's columns, as DuckDB's CSV reader declares them (times as epoch microseconds). */
const fileColumns = (columns: readonly Column[]): string =>
  [
    ...columns.map((c) => `'${c.name}': '${c.name === 'start_time' ? 'BIGINT' : DUCKDB_TYPES[c.type]}'`),
    `'seq': 'INTEGER'`,
  ].join(', ');

const WHOLE_FILE_COLUMNS = fileColumns(ENCODED_COLUMNS);
const SHORT_FILE_COLUMNS = fileColumns(ENCODED_COLUMNS.filter((c) => !isRare(c)));

/** A batch file's rows as `usage` rows (USAGE_COLUMNS' order) and their `seq`; a short file's rare columns at their fill. */
function fileRows(path: string, short: boolean, batch: number, node: string): string {
  const select = USAGE_COLUMNS.map((c) => {
    if (c.name === 'start_time') return 'make_timestamp(start_time) AS start_time';
    if (c.name === 'ingest_batch') return `${Math.trunc(batch)}::BIGINT AS ingest_batch`;
    if (c.name === 'node') return `${literal(node)} AS node`;
    if (short && isRare(c)) return `${c.fill}::${DUCKDB_TYPES[c.type]} AS ${c.name}`;
    return c.name;
  }).join(', ');
  return `SELECT ${select}, seq
      FROM read_csv(${literal(path)}, delim = '\\t', header = false, quote = '"', escape = '"', new_line = '\\n', auto_detect = false, columns = {${short ? SHORT_FILE_COLUMNS : WHOLE_FILE_COLUMNS}})`;
}

/**
 * The SELECT of a batch's rows (both files) that are new to `usage`: it leaves out every row whose request is
 * there already, the same idempotency key with the same start time (a re-read, a replayed log). Only rows in
 * the batch's start-time range can match, and DuckDB skips the rest of the ledger by its zone maps, so the cost
 * does not grow with the ledger as a unique index on random request ids did. One writer at a time (the file lock
 * and `DuckDbLedger.write`) keeps the check and the insert together. The rows keep `seq` for
 * DROP_LATER_REPEATS. The paths are ours (the ledger's own), never input.
 */
export function newUsageRows(
  files: BatchFiles,
  batch: number,
  node: string,
  minStartMs: number,
  maxStartMs: number
): string {
  const parts: string[] = [];
  if (files.whole !== undefined) parts.push(fileRows(files.whole, false, batch, node));
  if (files.short !== undefined) parts.push(fileRows(files.short, true, batch, node));
  if (!parts.length) throw new Error('a batch load without a batch file');
  const micros = (ms: number) => Math.round(ms) * 1000;
  return `SELECT * FROM (
      ${parts.join('\n      UNION ALL\n      ')}
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
