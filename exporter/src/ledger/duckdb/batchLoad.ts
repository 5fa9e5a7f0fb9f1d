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

/** Batch numbers are ours, made integers before they go into SQL. */
const batchNumber = (batch: number) => Math.trunc(batch);

/** A batch file's rows as `usage` rows (USAGE_COLUMNS' order) and their `seq`; a short file's rare columns at their fill. */
function fileRows(path: string, short: boolean, batch: number, node: string): string {
  const select = USAGE_COLUMNS.map((c) => {
    if (c.name === 'start_time') return 'make_timestamp(start_time) AS start_time';
    if (c.name === 'ingest_batch') return `${batchNumber(batch)}::BIGINT AS ingest_batch`;
    if (c.name === 'node') return `${literal(node)} AS node`;
    if (short && isRare(c)) return `${c.fill}::${DUCKDB_TYPES[c.type]} AS ${c.name}`;
    return c.name;
  }).join(', ');
  return `SELECT ${select}, seq
      FROM read_csv(${literal(path)}, delim = '\\t', header = false, quote = '"', escape = '"', new_line = '\\n', auto_detect = false, columns = {${short ? SHORT_FILE_COLUMNS : WHOLE_FILE_COLUMNS}})`;
}

/** A batch's rows from both files, as `usage` rows with their `seq`. */
function batchFileRows(files: BatchFiles, batch: number, node: string): string {
  const parts: string[] = [];
  if (files.whole !== undefined) parts.push(fileRows(files.whole, false, batch, node));
  if (files.short !== undefined) parts.push(fileRows(files.short, true, batch, node));
  if (!parts.length) throw new Error('a batch load without a batch file');
  return `(\n      ${parts.join('\n      UNION ALL\n      ')}\n    ) b`;
}

/**
 * Stores a batch's rows (both files) that are new to `usage`, straight from the files: it leaves out every row
 * whose request is there already, the same idempotency key with the same start time (a re-read, a replayed log).
 * Only rows in the batch's start-time range can match, and DuckDB skips the rest of the ledger by its zone maps,
 * so the cost does not grow with the ledger as a unique index on random request ids did. The check is a plain
 * anti join: the ledger's rows in range are the hash table (usually none: new lines are later than what is
 * stored), and the batch streams through it into `usage` (NOT EXISTS made DuckDB buffer every column of the
 * batch first). One writer at a time (the file lock and `DuckDbLedger.write`) keeps the check and the insert
 * together. Repeats within the batch are all stored here; `repeatedInBatch` finds them and `keepFirstRead`
 * mends them. The paths are ours (the ledger's own), never input.
 */
export function insertNewUsageRows(
  files: BatchFiles,
  batch: number,
  node: string,
  minStartMs: number,
  maxStartMs: number
): string {
  const micros = (ms: number) => Math.round(ms) * 1000;
  return `INSERT INTO usage SELECT * EXCLUDE (seq) FROM ${batchFileRows(files, batch, node)}
    ANTI JOIN (
      SELECT record_key, start_time FROM usage
      WHERE start_time BETWEEN make_timestamp(${micros(minStartMs)}) AND make_timestamp(${micros(maxStartMs)})
    ) u ON u.record_key = b.record_key AND u.start_time = b.start_time`;
}

/** Batch `batch`'s rows in `usage`, as a FROM item named `batch_rows` (the batch's rows sit at the table's end). */
export const storedBatchRows = (batch: number): string =>
  `(SELECT * FROM usage WHERE ingest_batch = ${batchNumber(batch)}) batch_rows`;

/** The keys batch `batch` stored more than once. */
const repeatedKeys = (batch: number): string =>
  `SELECT record_key, start_time FROM ${storedBatchRows(batch)} GROUP BY record_key, start_time HAVING count(*) > 1`;

/**
 * How many requests batch `batch` stored more than once (a line logged twice in one batch). Rare, so they are
 * looked for (cheap: one hash aggregate over the batch's rows) before they are mended.
 */
export const repeatedInBatch = (batch: number): string => `SELECT count(*) AS n FROM (${repeatedKeys(batch)})`;

/** Of each request batch `batch` stored more than once, keeps the first read: all copies go, the first comes back. */
export function keepFirstRead(files: BatchFiles, batch: number, node: string): string {
  const n = batchNumber(batch);
  return `CREATE OR REPLACE TEMP TABLE repeated AS ${repeatedKeys(batch)};
    DELETE FROM usage USING repeated r
      WHERE usage.ingest_batch = ${n} AND usage.record_key = r.record_key AND usage.start_time = r.start_time;
    INSERT INTO usage SELECT * EXCLUDE (seq) FROM ${batchFileRows(files, batch, node)}
      SEMI JOIN repeated r ON r.record_key = b.record_key AND r.start_time = b.start_time
      QUALIFY row_number() OVER (PARTITION BY b.record_key, b.start_time ORDER BY b.seq) = 1;
    DROP TABLE repeated`;
}
