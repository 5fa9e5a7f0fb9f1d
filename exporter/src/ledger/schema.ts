/**
 * The ledger's tables. One row per request (never any prompt or response content); the read position of
 * every source file and the self-counters are committed in the same transaction as the rows they produced.
 * Dimensions are never NULL: what the log did not say is stored as UNKNOWN, so grouping and filtering
 * treat it like any other value.
 */

export const UNKNOWN = 'unknown';
/**
 * Version 2 dropped the primary key on `usage.record_key`: repeats are left out by the batch insert
 * (batchFile.ts), which is 3-4x cheaper than a unique index on random request ids and does not slow down
 * as the ledger grows. A version 1 ledger reads the same and is rebuilt when a writer opens it (MIGRATE_USAGE_FROM_V1).
 */
export const SCHEMA_VERSION = '2';
/** Versions whose tables a read-only open can query as they are. */
export const READABLE_SCHEMA_VERSIONS: readonly string[] = ['1', SCHEMA_VERSION];

/**
 * The columns of `usage`, in order, with their types: the one list the table, the batch encoder and the
 * batch loader are all built from.
 */
export const USAGE_COLUMNS = [
  ['record_key', 'VARCHAR NOT NULL', "source || ':' || request id: with start_time, the idempotency key"],
  ['start_time', 'TIMESTAMP NOT NULL', 'UTC'],
  ['duration_ms', 'DOUBLE', ''],
  ['user_id', 'VARCHAR NOT NULL', ''],
  ['api_key', 'VARCHAR NOT NULL', "alias, else the first 12 characters of the key's hash or id"],
  ['api_key_id', 'VARCHAR', "the key's hash or credential id, never the key"],
  ['team', 'VARCHAR NOT NULL', ''],
  ['tier', 'VARCHAR NOT NULL', ''],
  ['model', 'VARCHAR NOT NULL', ''],
  ['provider', 'VARCHAR', ''],
  ['status', 'VARCHAR NOT NULL', 'success | failure'],
  ['http_status', 'SMALLINT', ''],
  ['input_uncached', 'BIGINT NOT NULL', ''],
  ['cache_read', 'BIGINT NOT NULL', ''],
  ['cache_write', 'BIGINT NOT NULL', ''],
  ['output', 'BIGINT NOT NULL', 'reasoning included'],
  ['reasoning', 'BIGINT NOT NULL', ''],
  ['cost_pusd', 'BIGINT', 'provider list cost in pico-USD; NULL while the model has no price'],
  ['charge_pusd', 'BIGINT', 'what the tier is billed, pico-USD'],
  ['price_version', 'VARCHAR', ''],
  ['priced_on_ingest', 'BOOLEAN NOT NULL', ''],
  ['ingest_batch', 'BIGINT NOT NULL', 'the ledger batch that added the row'],
] as const;

/** The plain type of a column (no constraints), as the batch loader declares it. */
export function columnType(spec: string): string {
  return spec.split(' ')[0]!;
}

const usageTable = (table: string): string =>
  `CREATE TABLE IF NOT EXISTS ${table} (\n${USAGE_COLUMNS.map(([name, type, note], i) => `  ${name} ${type}${i < USAGE_COLUMNS.length - 1 ? ',' : ''}${note ? ` -- ${note}` : ''}`).join('\n')}\n);`;

export const CREATE_TABLES = `
${usageTable('usage')}
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
`;

/**
 * Rebuilds a version 1 `usage` table without its primary key (DuckDB cannot drop a constraint in place),
 * ordered by start time so each row group covers a narrow time range for the duplicate check. Run inside
 * one transaction: a crash leaves the old table and version in place.
 */
export const MIGRATE_USAGE_FROM_V1 = `
${usageTable('usage_v2')}
INSERT INTO usage_v2 SELECT * FROM usage ORDER BY start_time;
DROP TABLE usage;
ALTER TABLE usage_v2 RENAME TO usage;
UPDATE meta SET value = '${SCHEMA_VERSION}' WHERE key = 'schema_version';
`;
