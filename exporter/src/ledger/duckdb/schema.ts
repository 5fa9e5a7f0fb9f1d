import { Column, ColumnType, MEASURES_ADDED_BY_PRICING_INPUTS, ROLLUP_MEASURES, USAGE_COLUMNS } from '../schema';
import {
  addToRollupsSql,
  COARSE_LEVELS,
  fillFromHourlySql,
  HOURLY,
  hourlySumsSql,
  ROLLUP_LEVELS,
  RollupLevel,
  SUMMED_ROWS,
} from '../rollups';
import { pushesTableDdl } from '../sql/pushReceipts';
import { RARE_COLUMNS } from '../rows';

/**
 * The DuckDB ledger's tables (the columns are schema.ts's), and the migrations from earlier versions.
 *
 * Version 2 dropped the primary key on `usage.record_key`: repeats are left out by the batch insert
 * (batchLoad.ts), which is 3-4x cheaper than a unique index on random request ids and does not slow down as
 * the ledger grows. Version 3 added `usage.node` and the hourly rollup `usage_hourly`. Version 4 added every
 * other pricing input of a request, its fee, priced model and the gateway's own cost (#16), the rollup's
 * measures of them, and `reprice_runs`. Version 5 added `pushes`, the receipts of committed pushes (#15). Version 6
 * added the coarse rollup levels `usage_daily` and `usage_hourly_teams` (rollups.ts, MIGRATE_TO_V6). Version 7 moved
 * the rare pricing inputs out of `usage` into `usage_rare` (MIGRATE_TO_V7; `usage_full` joins them). Older ledgers
 * read the same and are migrated when a writer opens them, in one transaction, step by step (`migrationFrom`),
 * never changing a stored cost.
 */
export const SCHEMA_VERSION = '7';
/** Versions a writer migrates to SCHEMA_VERSION. */
export const MIGRATED_SCHEMA_VERSIONS: readonly string[] = ['1', '2', '3', '4', '5', '6'];
/** Versions whose tables a read-only open can query as they are. */
export const READABLE_SCHEMA_VERSIONS: readonly string[] = [SCHEMA_VERSION];

export const DUCKDB_TYPES: Record<ColumnType, string> = {
  text: 'VARCHAR',
  timestamp: 'TIMESTAMP',
  double: 'DOUBLE',
  bigint: 'BIGINT',
  smallint: 'SMALLINT',
  boolean: 'BOOLEAN',
};

/** A column added by the pricing-inputs migration defaults to its fill: a row written naming only the others reads as before. */
const columnDdl = (c: Column) =>
  `${c.name} ${DUCKDB_TYPES[c.type]}${c.notNull ? ' NOT NULL' : ''}${c.fill !== undefined ? ` DEFAULT ${c.fill}` : ''}`;

const isRare = (c: Column) => RARE_COLUMNS.includes(c.name);

/**
 * The columns of `usage` (version 7): every column of a request but the rare pricing inputs (rows.ts
 * RARE_COLUMNS), which `usage_rare` holds for the few rows whose values of them are not all their fill. Every
 * column costs the commit for every row, even one that holds the same value in all of them: 17 columns of
 * zeros and NULLs made a batch's insert about 40 % dearer (bench/README.md, #16, session 10).
 */
export const USAGE_TABLE_COLUMNS: readonly Column[] = USAGE_COLUMNS.filter((c) => !isRare(c));
/** RARE_COLUMNS, in USAGE_COLUMNS' order: `usage_rare`'s columns after its key. */
export const RARE_USAGE_COLUMNS: readonly Column[] = USAGE_COLUMNS.filter(isRare);

const usageTable = (table: string, columns: readonly Column[]): string =>
  `CREATE TABLE IF NOT EXISTS ${table} (\n  ${columns.map(columnDdl).join(',\n  ')}\n);`;

/** A row's request and batch, then its rare pricing inputs; a row here has its `usage` row, of the same batch. */
const RARE_TABLE = `CREATE TABLE IF NOT EXISTS usage_rare (
  record_key VARCHAR NOT NULL,
  start_time TIMESTAMP NOT NULL,
  ingest_batch BIGINT NOT NULL,
  ${RARE_USAGE_COLUMNS.map(columnDdl).join(',\n  ')}
);`;

/** Every column of a usage row (USAGE_COLUMNS' order) of `usage` rows `u` and their `usage_rare` rows `r`, else the fill. */
const FULL_ROW_COLUMNS = USAGE_COLUMNS.map((c) => {
  if (!isRare(c)) return `u.${c.name}`;
  return c.fill === 'NULL' ? `r.${c.name}` : `coalesce(r.${c.name}, ${c.fill}) AS ${c.name}`;
}).join(', ');

/** The rows of `usage` (a FROM item) with every column, their rare inputs from `rare` (a FROM item of `usage_rare`). */
export const fullUsageRows = (usage: string, rare: string): string =>
  `SELECT ${FULL_ROW_COLUMNS} FROM ${usage} u LEFT JOIN ${rare} r ON r.record_key = u.record_key AND r.start_time = u.start_time`;

/**
 * `usage_full`: every row of `usage` with every column (USAGE_COLUMNS), and its rowid as `rid`: what reads a
 * request whole (re-pricing, the rows read back, the parts of a query that read rows) reads. A view is bound
 * when it is queried, so it is made again at every writer's open (after a migration).
 */
export const USAGE_FULL_VIEW = `CREATE OR REPLACE VIEW usage_full AS
  SELECT u.rowid AS rid, ${FULL_ROW_COLUMNS}
  FROM usage u LEFT JOIN usage_rare r ON r.record_key = u.record_key AND r.start_time = u.start_time;`;

/** A rollup level's table (rollups.ts). */
const rollupTable = (l: RollupLevel): string => `CREATE TABLE IF NOT EXISTS ${l.table} (
  ${l.time} TIMESTAMP NOT NULL,
  ${l.key.map((k) => `${k} VARCHAR NOT NULL`).join(',\n  ')},
  ${ROLLUP_MEASURES.map((m) => `${m} BIGINT NOT NULL${MEASURES_ADDED_BY_PRICING_INPUTS.includes(m) ? ' DEFAULT 0' : ''}`).join(',\n  ')},
  PRIMARY KEY (${[l.time, ...l.key].join(', ')})
);`;
const ROLLUP_TABLE = rollupTable(HOURLY);

const PUSHES_TABLE = pushesTableDdl({ text: 'VARCHAR', bigint: 'BIGINT', timestamp: 'TIMESTAMP' });

export const CREATE_TABLES = `
${usageTable('usage', USAGE_TABLE_COLUMNS)}
${RARE_TABLE}
${ROLLUP_LEVELS.map(rollupTable).join('\n')}
CREATE TABLE IF NOT EXISTS read_positions (
  source          VARCHAR NOT NULL,
  file_key        VARCHAR NOT NULL,   -- device:inode
  path            VARCHAR NOT NULL,
  fingerprint     VARCHAR NOT NULL,   -- sha256 of the first fingerprint_len bytes
  fingerprint_len INTEGER NOT NULL,
  "offset"        BIGINT NOT NULL,    -- just past the last newline whose line was committed
  line            BIGINT NOT NULL,    -- number of the next line to read
  finished        BOOLEAN NOT NULL,   -- rotated away and drained
  updated_at      TIMESTAMP NOT NULL,
  PRIMARY KEY (source, file_key)
);
CREATE TABLE IF NOT EXISTS counters (
  name  VARCHAR NOT NULL,
  label VARCHAR NOT NULL,
  value BIGINT NOT NULL,
  PRIMARY KEY (name, label)
);
CREATE TABLE IF NOT EXISTS rejects (
  source      VARCHAR NOT NULL,
  path        VARCHAR NOT NULL,
  line        BIGINT NOT NULL,
  byte_offset BIGINT NOT NULL,
  byte_length BIGINT NOT NULL,
  reason      VARCHAR NOT NULL,
  field       VARCHAR,
  message     VARCHAR NOT NULL,
  line_sha256 VARCHAR NOT NULL,
  excerpt     VARCHAR,              -- the line with content and secret fields removed; NULL if not JSON
  rejected_at TIMESTAMP NOT NULL,
  ingest_batch BIGINT NOT NULL,
  PRIMARY KEY (source, path, byte_offset)
);
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS reprice_runs (
  run_id          VARCHAR NOT NULL,
  run_at          TIMESTAMP NOT NULL,
  node            VARCHAR NOT NULL,
  from_time       TIMESTAMP NOT NULL,
  to_time         TIMESTAMP NOT NULL,
  price_version   VARCHAR NOT NULL,
  model           VARCHAR NOT NULL,
  requests        BIGINT NOT NULL,   -- in the range
  repriced        BIGINT NOT NULL,   -- whose price changed
  old_cost_pusd   BIGINT NOT NULL,
  new_cost_pusd   BIGINT NOT NULL,
  old_charge_pusd BIGINT NOT NULL,
  new_charge_pusd BIGINT NOT NULL,
  PRIMARY KEY (run_id, model)
);
${PUSHES_TABLE}
`;

/** A text as a SQL literal (for DDL and multi-statement scripts, which take no parameters). */
export const literal = (v: string): string => `'${v.replace(/'/g, "''")}'`;

/**
 * Rebuilds a version 1, 2 or 3 `usage` table as version 4 (DuckDB cannot drop a constraint, nor add a NOT NULL
 * column, in place): version 1's primary key gone; `node` added to a version 1 or 2 table (the rows were stored
 * by the one process that wrote this file: they are given the name of the node migrating it); the pricing
 * inputs added with their fill (schema.ts: what a record whose log said nothing of them gets). Ordered by start
 * time so each row group covers a narrow time range for the duplicate check; then the hourly rollup built anew
 * from it. Costs and charges are copied as they are. Run inside one transaction: a crash leaves the old tables
 * and version in place.
 */
export const migrateToV4 = (from: string, node: string): string => {
  const hadNode = from === '3';
  const select = USAGE_COLUMNS.map((c) => {
    if (c.fill !== undefined) return `${c.fill} AS ${c.name}`;
    if (c.name === 'node' && !hadNode) return `${literal(node)} AS node`;
    return c.name;
  });
  return `
${usageTable('usage_v4', USAGE_COLUMNS)}
INSERT INTO usage_v4 SELECT ${select.join(', ')} FROM usage ORDER BY start_time;
DROP TABLE usage;
ALTER TABLE usage_v4 RENAME TO usage;
DROP TABLE IF EXISTS usage_hourly;
${ROLLUP_TABLE}
${rebuildRollupSql('usage')}
UPDATE meta SET value = '4' WHERE key = 'schema_version';
`;
};

/** Version 4 to 5: the receipts of committed pushes, a new table (no stored row changes). */
export const MIGRATE_TO_V5 = `
${PUSHES_TABLE}
UPDATE meta SET value = '5' WHERE key = 'schema_version';
`;

/**
 * Version 5 to 6: the coarse rollup levels (rollups.ts), made by CREATE_TABLES, filled from `usage_hourly`
 * (not from `usage`: a few rows per hour and key instead of every request), in the migration's transaction.
 * No stored cost changes.
 */
export const MIGRATE_TO_V6 = `
${COARSE_LEVELS.map((l) => `DELETE FROM ${l.table};\n${fillFromHourlySql(l)};`).join('\n')}
UPDATE meta SET value = '6' WHERE key = 'schema_version';
`;

/** Whether a row's rare pricing inputs are all at their fill (rows.ts: it was written without them). */
const RARE_AT_FILL = RARE_USAGE_COLUMNS.map((c) => `${c.name} IS NOT DISTINCT FROM ${c.fill}`).join(' AND ');

/**
 * Version 6 to 7: the rare pricing inputs of the rows that have any go to `usage_rare` (made by CREATE_TABLES),
 * and their columns leave `usage` (DuckDB drops a column without rewriting the others). No stored cost changes:
 * costs, charges and fees stay in `usage`; `usage_full` reads every row as it read before.
 */
export const MIGRATE_TO_V7 = `
INSERT INTO usage_rare SELECT record_key, start_time, ingest_batch, ${RARE_USAGE_COLUMNS.map((c) => c.name).join(', ')}
  FROM usage WHERE NOT (${RARE_AT_FILL});
${RARE_USAGE_COLUMNS.map((c) => `ALTER TABLE usage DROP COLUMN ${c.name};`).join('\n')}
UPDATE meta SET value = '7' WHERE key = 'schema_version';
`;

/** The steps from version `from` (one of MIGRATED_SCHEMA_VERSIONS) to SCHEMA_VERSION, as one script. */
export const migrationFrom = (from: string, node: string): string =>
  [
    Number(from) < 4 ? migrateToV4(from, node) : '',
    Number(from) < 5 ? MIGRATE_TO_V5 : '',
    Number(from) < 6 ? MIGRATE_TO_V6 : '',
    MIGRATE_TO_V7,
  ].join('\n');

/** Refills `usage_hourly` from usage rows with every column: `usage_full`, or a version 4 `usage` (migrateToV4). */
export function rebuildRollupSql(rows = 'usage_full'): string {
  return `DELETE FROM usage_hourly;
INSERT INTO usage_hourly ${hourlySumsSql(rows)};`;
}

/**
 * A batch's new rows (`rows`, a FROM item) added to every rollup level: summed per hour and key once, into a
 * table of a few thousand rows, from which each level is added (the rows are not read once per level).
 */
export const addBatchToRollups = (
  rows: string
): string => `CREATE OR REPLACE TEMP TABLE batch_hours AS ${hourlySumsSql(rows)};
${addToRollupsSql('batch_hours', SUMMED_ROWS)};
DROP TABLE batch_hours`;
