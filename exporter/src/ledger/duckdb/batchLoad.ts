import { Column, ENCODED_COLUMNS } from '../schema';
import { RARE_COLUMNS } from '../rows';
import { DUCKDB_TYPES, fullUsageRows, literal, RARE_USAGE_COLUMNS, USAGE_TABLE_COLUMNS } from './schema';

/**
 * The spool files of one commit (rows.ts, format `duckdb`): rows with every column, rows without RARE_COLUMNS.
 * Empty: no such rows in the batch.
 */
export interface BatchFiles {
  whole: readonly string[];
  short: readonly string[];
}

/** The types of a batch file's columns, as DuckDB's CSV reader declares them (times as epoch microseconds). */
const fileColumns = (columns: readonly Column[]): string =>
  [
    ...columns.map((c) => `'${c.name}': '${c.name === 'start_time' ? 'BIGINT' : DUCKDB_TYPES[c.type]}'`),
    `'seq': 'INTEGER'`,
  ].join(', ');

const WHOLE_FILE_COLUMNS = fileColumns(ENCODED_COLUMNS);
const SHORT_FILE_COLUMNS = fileColumns(ENCODED_COLUMNS.filter((c) => !RARE_COLUMNS.includes(c.name)));

/** Batch numbers are ours, made integers before they go into SQL. */
const batchNumber = (batch: number) => Math.trunc(batch);

/**
 * The reader's buffer: 4 MiB instead of DuckDB's 32 MiB (16 x its 2 MiB line limit), 27 MB less memory while a
 * batch loads (bench/README.md "Footprint"). Rows are far shorter than its line limit (types.ts maxTextLength).
 */
const CSV_BUFFER_BYTES = 4 << 20;

const readFiles = (paths: readonly string[], short: boolean): string =>
  `read_csv([${paths.map(literal).join(', ')}], delim = '\\t', header = false, quote = '"', escape = '"', new_line = '\\n', auto_detect = false, buffer_size = ${CSV_BUFFER_BYTES}, columns = {${short ? SHORT_FILE_COLUMNS : WHOLE_FILE_COLUMNS}})`;

/** Batch files' rows as `usage` rows (its columns, in order) and their `seq`. */
function fileRows(paths: readonly string[], short: boolean, batch: number, node: string): string {
  const select = USAGE_TABLE_COLUMNS.map((c) => {
    if (c.name === 'start_time') return 'make_timestamp(start_time) AS start_time';
    if (c.name === 'ingest_batch') return `${batchNumber(batch)}::BIGINT AS ingest_batch`;
    if (c.name === 'node') return `${literal(node)} AS node`;
    return c.name;
  }).join(', ');
  return `SELECT ${select}, seq
      FROM ${readFiles(paths, short)}`;
}

/** The whole files' rows as `usage_rare` rows, and their `seq`. */
const rareFileRows = (whole: readonly string[], batch: number): string =>
  `(SELECT record_key, make_timestamp(start_time) AS start_time, ${batchNumber(batch)}::BIGINT AS ingest_batch,
      ${RARE_USAGE_COLUMNS.map((c) => c.name).join(', ')}, seq
    FROM ${readFiles(whole, false)}) w`;

/** A batch's rows from both files, as `usage` rows with their `seq`. */
function batchFileRows(files: BatchFiles, batch: number, node: string): string {
  const parts: string[] = [];
  if (files.whole.length) parts.push(fileRows(files.whole, false, batch, node));
  if (files.short.length) parts.push(fileRows(files.short, true, batch, node));
  if (!parts.length) throw new Error('a batch load without a batch file');
  return `(\n      ${parts.join('\n      UNION ALL\n      ')}\n    ) b`;
}

/** Batch `batch`'s rows of `usage` alone (they sit at the table's end). */
const batchUsage = (batch: number): string => `(SELECT * FROM usage WHERE ingest_batch = ${batchNumber(batch)})`;

/** The ledger's rows in a batch's start-time range: the only ones a row of the batch can repeat. */
const usageInRange = (minStartMs: number, maxStartMs: number): string => {
  const micros = (ms: number) => Math.round(ms) * 1000;
  return `SELECT record_key, start_time FROM usage
      WHERE start_time BETWEEN make_timestamp(${micros(minStartMs)}) AND make_timestamp(${micros(maxStartMs)})`;
};

/**
 * Whether the ledger holds any row in a batch's start-time range. Usually not (new lines are later than what is
 * stored), and DuckDB answers from its zone maps without reading the rows.
 */
export const anyStoredInRange = (minStartMs: number, maxStartMs: number): string =>
  `SELECT count(*) AS n FROM (${usageInRange(minStartMs, maxStartMs)} LIMIT 1)`;

/**
 * Stores a batch's rows (both files) that are new to `usage`, straight from the files: it leaves out every row
 * whose request is there already, the same idempotency key with the same start time (a re-read, a replayed log).
 * Only rows in the batch's start-time range can match, and DuckDB skips the rest of the ledger by its zone maps,
 * so the cost does not grow with the ledger as a unique index on random request ids did. The check is a plain
 * anti join: the ledger's rows in range are the hash table, and the batch streams through it into `usage`
 * (NOT EXISTS made DuckDB buffer every column of the batch first). `storedInRange` false (anyStoredInRange
 * found none) leaves the join out: with no row in range DuckDB still built its hash table of the whole batch
 * (a third of the insert's time). One writer at a time (the file lock and `DuckDbLedger.write`) keeps the
 * check and the insert together. Repeats within the batch are all stored here; `repeatedInBatch` finds them
 * and `keepFirstRead` mends them. The paths are ours (the ledger's own), never input.
 */
export function insertNewUsageRows(
  files: BatchFiles,
  batch: number,
  node: string,
  range: { minStartMs: number; maxStartMs: number; storedInRange: boolean }
): string {
  const insert = `INSERT INTO usage SELECT * EXCLUDE (seq) FROM ${batchFileRows(files, batch, node)}`;
  if (!range.storedInRange) return insert;
  return `${insert}
    ANTI JOIN (${usageInRange(range.minStartMs, range.maxStartMs)}) u
      ON u.record_key = b.record_key AND u.start_time = b.start_time`;
}

/**
 * Stores the rare pricing inputs of the whole file's rows that `insertNewUsageRows` stored (a row left out as
 * a repeat of a stored request leaves its inputs out too). After it, in the same transaction.
 */
export const insertRareRows = (whole: readonly string[], batch: number): string =>
  `INSERT INTO usage_rare SELECT * EXCLUDE (seq) FROM ${rareFileRows(whole, batch)}
    SEMI JOIN ${batchUsage(batch)} u ON u.record_key = w.record_key AND u.start_time = w.start_time`;

/**
 * Batch `batch`'s rows with every column, as a FROM item named `batch_rows`. `rare`: whether the batch may have
 * rows in `usage_rare` (false when it had no whole file: its rows are read with the fills, without a join).
 */
export function storedBatchRows(batch: number, rare = true): string {
  const n = batchNumber(batch);
  if (rare)
    return `(${fullUsageRows(batchUsage(batch), `(SELECT * FROM usage_rare WHERE ingest_batch = ${n})`)}) batch_rows`;
  const fills = RARE_USAGE_COLUMNS.map((c) => `${c.fill}::${DUCKDB_TYPES[c.type]} AS ${c.name}`).join(', ');
  return `(SELECT *, ${fills} FROM usage WHERE ingest_batch = ${n}) batch_rows`;
}

/** The keys batch `batch` stored more than once. */
const repeatedKeys = (batch: number): string =>
  `SELECT record_key, start_time FROM ${batchUsage(batch)} GROUP BY record_key, start_time HAVING count(*) > 1`;

/**
 * How many requests batch `batch` stored more than once (a line logged twice in one batch). Rare, so they are
 * looked for (cheap: one hash aggregate over the batch's rows) before they are mended.
 */
export const repeatedInBatch = (batch: number): string => `SELECT count(*) AS n FROM (${repeatedKeys(batch)})`;

/**
 * Of each request batch `batch` stored more than once, keeps the first read: all copies go (and their rare
 * inputs), the first comes back (with its rare inputs, if it was a whole row).
 */
export function keepFirstRead(files: BatchFiles, batch: number, node: string): string {
  const n = batchNumber(batch);
  const ofRepeated = (table: string) =>
    `DELETE FROM ${table} USING repeated r
      WHERE ${table}.ingest_batch = ${n} AND ${table}.record_key = r.record_key AND ${table}.start_time = r.start_time;`;
  const rare = !files.whole.length
    ? ''
    : `INSERT INTO usage_rare SELECT * EXCLUDE (seq) FROM ${rareFileRows(files.whole, batch)}
      SEMI JOIN first_reads f ON f.record_key = w.record_key AND f.start_time = w.start_time AND f.seq = w.seq;`;
  return `CREATE OR REPLACE TEMP TABLE repeated AS ${repeatedKeys(batch)};
    ${ofRepeated('usage')}
    ${ofRepeated('usage_rare')}
    CREATE OR REPLACE TEMP TABLE first_reads AS SELECT b.* FROM ${batchFileRows(files, batch, node)}
      SEMI JOIN repeated r ON r.record_key = b.record_key AND r.start_time = b.start_time
      QUALIFY row_number() OVER (PARTITION BY b.record_key, b.start_time ORDER BY b.seq) = 1;
    INSERT INTO usage SELECT * EXCLUDE (seq) FROM first_reads;
    ${rare}
    DROP TABLE repeated;
    DROP TABLE first_reads`;
}
