import { Column, ColumnType, MEASURES_ADDED_BY_PRICING_INPUTS, ROLLUP_MEASURES, USAGE_COLUMNS } from '../schema';
import { COARSE_LEVELS, fillFromHourlySql, ROLLUP_LEVELS, RollupLevel } from '../rollups';
import { pushesTableDdl } from '../sql/pushReceipts';

/**
 * The shared ledger's tables on PostgreSQL (the columns are schema.ts's). `usage` and its hourly rollup are
 * partitioned by month (partitions made as batches need them, dropped whole by retention); the database
 * enforces idempotency with a unique index on (start_time, record_key), so two replicas storing the same
 * request store it once. Time first: rows arrive roughly in time order, so the index grows at its end (with
 * random request ids first, each insert landed on a random page: 2-3x slower), and the same index serves
 * every time-range read of `usage`. Everything a node writes about itself (read positions, counters, rejects, its last
 * batch) is keyed by node.
 * Version 2 added every other pricing input of a request, its fee, priced model and the gateway's own cost
 * (#16), the rollup's measures of them, and `reprice_runs` (MIGRATE_TO_V2). Version 3 added `pushes`, the
 * receipts of committed pushes, shared by every node (#15, MIGRATE_TO_V3).
 * Version 4 added the coarse rollup levels `usage_daily` and `usage_hourly_teams` (rollups.ts, migrateToV4).
 */
export const SCHEMA_VERSION = '4';

export const PG_TYPES: Record<ColumnType, string> = {
  text: 'text',
  timestamp: 'timestamp',
  double: 'double precision',
  bigint: 'bigint',
  smallint: 'smallint',
  boolean: 'boolean',
};

/**
 * A column added by the pricing-inputs migration defaults to its fill, in a new ledger as in a migrated one
 * (MIGRATE_TO_V2): a row written naming only the others (a replica of version 1) reads as before.
 */
const columnDdl = (c: Column) =>
  `${c.name} ${PG_TYPES[c.type]}${c.notNull ? ' NOT NULL' : ''}${c.fill !== undefined ? ` DEFAULT ${c.fill}` : ''}`;

/** With an index for retention, which deletes the receipts older than a time (LedgerBatch.push.forgetBeforeMs). */
const PUSHES_TABLE = `${pushesTableDdl({ text: 'text', bigint: 'bigint', timestamp: 'timestamp' })}
CREATE INDEX IF NOT EXISTS pushes_committed ON pushes (committed_at);`;

/** A rollup level's table (rollups.ts), partitioned by month as `usage` is. */
const rollupTable = (l: RollupLevel): string => `CREATE TABLE IF NOT EXISTS ${l.table} (
  ${l.time} timestamp NOT NULL,
  ${l.key.map((k) => `${k} text NOT NULL`).join(',\n  ')},
  ${ROLLUP_MEASURES.map((m) => `${m} bigint NOT NULL${MEASURES_ADDED_BY_PRICING_INPUTS.includes(m) ? ' DEFAULT 0' : ''}`).join(',\n  ')},
  PRIMARY KEY (${[l.time, ...l.key].join(', ')})
) PARTITION BY RANGE (${l.time});`;

export const CREATE_TABLES = `
CREATE TABLE IF NOT EXISTS usage (
  ${USAGE_COLUMNS.map(columnDdl).join(',\n  ')}
) PARTITION BY RANGE (start_time);
CREATE UNIQUE INDEX IF NOT EXISTS usage_request ON usage (start_time, record_key);
${ROLLUP_LEVELS.map(rollupTable).join('\n')}
CREATE TABLE IF NOT EXISTS read_positions (
  node            text NOT NULL,
  source          text NOT NULL,
  file_key        text NOT NULL,
  path            text NOT NULL,
  fingerprint     text NOT NULL,
  fingerprint_len integer NOT NULL,
  "offset"        bigint NOT NULL,
  line            bigint NOT NULL,
  finished        boolean NOT NULL,
  updated_at      timestamp NOT NULL,
  PRIMARY KEY (node, source, file_key)
);
CREATE TABLE IF NOT EXISTS counters (
  node  text NOT NULL,
  name  text NOT NULL,
  label text NOT NULL,
  value bigint NOT NULL,
  PRIMARY KEY (node, name, label)
);
CREATE TABLE IF NOT EXISTS rejects (
  node        text NOT NULL,
  source      text NOT NULL,
  path        text NOT NULL,
  line        bigint NOT NULL,
  byte_offset bigint NOT NULL,
  byte_length bigint NOT NULL,
  reason      text NOT NULL,
  field       text,
  message     text NOT NULL,
  line_sha256 text NOT NULL,
  excerpt     text,
  rejected_at timestamp NOT NULL,
  ingest_batch bigint NOT NULL,
  PRIMARY KEY (node, source, path, byte_offset)
);
CREATE TABLE IF NOT EXISTS nodes (
  node          text PRIMARY KEY,
  last_batch_id text NOT NULL,   -- what makes a retried commit store nothing twice
  last_batch    bigint NOT NULL  -- and its number: what that commit stored is read back by it
);
CREATE SEQUENCE IF NOT EXISTS ledger_batch;
CREATE TABLE IF NOT EXISTS meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS reprice_runs (
  run_id          text NOT NULL,
  run_at          timestamp NOT NULL,
  node            text NOT NULL,
  from_time       timestamp NOT NULL,
  to_time         timestamp NOT NULL,
  price_version   text NOT NULL,
  model           text NOT NULL,
  requests        bigint NOT NULL,   -- in the range
  repriced        bigint NOT NULL,   -- whose price changed
  old_cost_pusd   bigint NOT NULL,
  new_cost_pusd   bigint NOT NULL,
  old_charge_pusd bigint NOT NULL,
  new_charge_pusd bigint NOT NULL,
  PRIMARY KEY (run_id, model)
);
${PUSHES_TABLE}
`;

/**
 * Version 1 to 2, in the schema's transaction (under its advisory lock): the new columns are added with their
 * fill as DEFAULT (schema.ts), which PostgreSQL records without rewriting a row, and the new rollup measures as
 * 0, which is their sum over rows stored before (every fill sums to 0). No stored cost is touched. The defaults
 * stay: replicas of version 1 still running (a rolling upgrade) keep inserting rows that name only the columns
 * they know, and those rows get the same fill, their rollup rows the same 0.
 */
export const MIGRATE_TO_V2 = [
  ...USAGE_COLUMNS.filter((c) => c.fill !== undefined).map(
    (c) => `ALTER TABLE usage ADD COLUMN IF NOT EXISTS ${columnDdl(c)};`
  ),
  ...MEASURES_ADDED_BY_PRICING_INPUTS.map(
    (m) => `ALTER TABLE usage_hourly ADD COLUMN IF NOT EXISTS ${m} bigint NOT NULL DEFAULT 0;`
  ),
  `UPDATE meta SET value = '2' WHERE key = 'schema_version';`,
].join('\n');

/**
 * Version 2 to 3, in the schema's transaction: the receipts of committed pushes, a new table (no stored row
 * changes). Replicas of version 2 still running commit their pushes without a receipt, as before.
 */
export const MIGRATE_TO_V3 = `
${PUSHES_TABLE}
UPDATE meta SET value = '3' WHERE key = 'schema_version';
`;

/**
 * Set in each transaction of this version that writes `usage_hourly` (a batch's commit, a re-pricing's chunk):
 * it adds to the coarse levels itself, set-based, so the trigger of HOURLY_TO_COARSE_LEVELS stays out of it.
 */
export const COARSE_LEVELS_KEPT = `SET LOCAL tokenledger.coarse_levels = 'kept'`;

/**
 * What a replica of version 1, 2 or 3 still running after the migration (a rolling upgrade) adds to or shifts in
 * `usage_hourly`, added to the coarse levels row by row: a trigger, for writers that do not set
 * COARSE_LEVELS_KEPT, so the levels equal the hourly rollup whoever wrote it. Row by row is slow next to this
 * version's set-based additions, but only old replicas take that path, until they are replaced.
 */
const HOURLY_TO_COARSE_LEVELS = (() => {
  const upsert = (l: RollupLevel, delta: (m: string) => string) => {
    const cols = [l.time, ...l.key, ...ROLLUP_MEASURES];
    const values = [
      `date_trunc('${l.time}', NEW.hour)`,
      ...l.key.map((k) => `NEW.${k}`),
      ...ROLLUP_MEASURES.map(delta),
    ];
    const sets = ROLLUP_MEASURES.map((m) => `${m} = ${l.table}.${m} + excluded.${m}`).join(', ');
    return `INSERT INTO ${l.table} (${cols.join(', ')}) VALUES (${values.join(', ')})
      ON CONFLICT (${[l.time, ...l.key].join(', ')}) DO UPDATE SET ${sets};`;
  };
  const each = (delta: (m: string) => string) => COARSE_LEVELS.map((l) => upsert(l, delta)).join('\n    ');
  return `CREATE OR REPLACE FUNCTION tokenledger_hourly_to_coarse_levels() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    ${each((m) => `NEW.${m}`)}
  ELSE
    ${each((m) => `NEW.${m} - OLD.${m}`)}
  END IF;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS hourly_to_coarse_levels ON usage_hourly;
CREATE TRIGGER hourly_to_coarse_levels AFTER INSERT OR UPDATE ON usage_hourly FOR EACH ROW
  WHEN (current_setting('tokenledger.coarse_levels', true) IS DISTINCT FROM 'kept')
  EXECUTE FUNCTION tokenledger_hourly_to_coarse_levels();`;
})();

/**
 * Version 3 to 4, in the schema's transaction: the coarse rollup levels (rollups.ts; their parents made by
 * CREATE_TABLES), a partition of each for every month the hourly rollup has (`months`), filled from
 * `usage_hourly` (not from `usage`: a few rows per hour and key instead of every request), and the trigger
 * that keeps them for replicas of versions 1 to 3 still writing. No stored cost changes.
 */
export const migrateToV4 = (months: readonly number[]): string =>
  [
    ...months.map(createPartitions),
    ...COARSE_LEVELS.map((l) => `${fillFromHourlySql(l)};`),
    HOURLY_TO_COARSE_LEVELS,
    `UPDATE meta SET value = '4' WHERE key = 'schema_version';`,
  ].join('\n');

/** Versions a writer migrates to SCHEMA_VERSION. */
export const MIGRATED_SCHEMA_VERSIONS: readonly string[] = ['1', '2', '3'];

/**
 * The steps from `from` (one of MIGRATED_SCHEMA_VERSIONS) to SCHEMA_VERSION, as one script; `months`: those the
 * hourly rollup has (the coarse levels get a partition of each).
 */
export const migrationFrom = (from: string, months: readonly number[]): string =>
  [from === '1' ? MIGRATE_TO_V2 : '', from !== '3' ? MIGRATE_TO_V3 : '', migrateToV4(months)].join('\n');

/** A month (year * 12 + month 0-11) as a partition suffix and its range. */
export function monthPartition(month: number): { suffix: string; from: string; to: string } {
  const y = Math.floor(month / 12);
  const m = month % 12;
  const iso = (year: number, m0: number) =>
    `${String(year + Math.floor(m0 / 12)).padStart(4, '0')}-${String((m0 % 12) + 1).padStart(2, '0')}-01`;
  return {
    suffix: `p${String(y).padStart(4, '0')}${String(m + 1).padStart(2, '0')}`,
    from: iso(y, m),
    to: iso(y, m + 1),
  };
}

/** The month of a partition's name (`usage_p202611`), or undefined for a name that is not one. */
export function partitionMonth(name: string): number | undefined {
  const m = /_p(\d{4})(\d{2})$/.exec(name);
  return m ? Number(m[1]) * 12 + Number(m[2]) - 1 : undefined;
}

/** Every partitioned table: `usage` and each rollup level, partitioned by month alike. */
export const PARTITIONED_TABLES: readonly string[] = ['usage', ...ROLLUP_LEVELS.map((l) => l.table)];

/** The partitions of every partitioned table for one month. */
export function createPartitions(month: number): string {
  const p = monthPartition(month);
  return PARTITIONED_TABLES.map(
    (t) => `CREATE TABLE IF NOT EXISTS ${t}_${p.suffix} PARTITION OF ${t} FOR VALUES FROM ('${p.from}') TO ('${p.to}');`
  ).join('\n');
}
