import { USAGE_COLUMNS } from '../schema';
import { BATCH_FILE_COLUMNS, literal } from './schema';

/**
 * The SELECT of a batch file's rows (rows.ts, format `duckdb`) that are new to `usage`: it leaves out every
 * row whose request is there already, the same idempotency key with the same start time (a re-read, a
 * replayed log). Only rows in the batch's start-time range can match, and DuckDB skips the rest of the
 * ledger by its zone maps, so the cost does not grow with the ledger as a unique index on random request ids
 * did. One writer at a time (the file lock and `DuckDbLedger.write`) keeps the check and the insert together.
 * The rows keep `seq` for DROP_LATER_REPEATS. The path is ours (the ledger's own), never input.
 */
export function newUsageRows(
  path: string,
  batch: number,
  node: string,
  minStartMs: number,
  maxStartMs: number
): string {
  const select = USAGE_COLUMNS.map(({ name }) => {
    if (name === 'start_time') return 'make_timestamp(start_time) AS start_time';
    if (name === 'ingest_batch') return `${Math.trunc(batch)}::BIGINT AS ingest_batch`;
    if (name === 'node') return `${literal(node)} AS node`;
    return name;
  }).join(', ');
  const micros = (ms: number) => Math.round(ms) * 1000;
  return `SELECT * FROM (
      SELECT ${select}, seq
      FROM read_csv(${literal(path)}, delim = '\\t', header = false, quote = '"', escape = '"', new_line = '\\n', auto_detect = false, columns = {${BATCH_FILE_COLUMNS}})
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
