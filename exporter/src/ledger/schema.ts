import type { Dimension } from './queries';

/**
 * The ledger's tables, as every engine holds them (each engine writes them in its own DDL: duckdb/schema.ts,
 * postgres/schema.ts). One row per request, never any prompt or response content; the read position of every
 * source file and the self-counters are committed in the same transaction as the rows they produced.
 * Dimensions are never NULL: what the log did not say is stored as UNKNOWN, so grouping and filtering treat
 * it like any other value.
 */

export const UNKNOWN = 'unknown';

/** The column types an engine maps to its own. */
export type ColumnType = 'text' | 'timestamp' | 'double' | 'bigint' | 'smallint' | 'boolean';

export interface Column {
  name: string;
  type: ColumnType;
  notNull: boolean;
  note: string;
}

const col = (name: string, type: ColumnType, notNull: boolean, note = ''): Column => ({ name, type, notNull, note });

/**
 * The columns of `usage`, in order: the one list the tables, the row encoders (rows.ts, in this order up to
 * `priced_on_ingest`) and the batch loaders are built from. `ingest_batch` and `node` are added at commit.
 */
export const USAGE_COLUMNS: readonly Column[] = [
  col('record_key', 'text', true, "source || ':' || request id: with start_time, the idempotency key"),
  col('start_time', 'timestamp', true, 'UTC'),
  col('duration_ms', 'double', false),
  col('user_id', 'text', true),
  col('api_key', 'text', true, "alias, else the first 12 characters of the key's hash or id"),
  col('api_key_id', 'text', false, "the key's hash or credential id, never the key"),
  col('team', 'text', true),
  col('tier', 'text', true),
  col('model', 'text', true),
  col('provider', 'text', false),
  col('status', 'text', true, 'success | failure'),
  col('http_status', 'smallint', false),
  col('input_uncached', 'bigint', true),
  col('cache_read', 'bigint', true),
  col('cache_write', 'bigint', true),
  col('output', 'bigint', true, 'reasoning included'),
  col('reasoning', 'bigint', true),
  col('cost_pusd', 'bigint', false, 'provider list cost in pico-USD; NULL while the model has no price'),
  col('charge_pusd', 'bigint', false, 'what the tier is billed, pico-USD'),
  col('price_version', 'text', false),
  col('priced_on_ingest', 'boolean', true),
  col('ingest_batch', 'bigint', true, 'the ledger batch that added the row'),
  col('node', 'text', true, 'the replica that stored the row'),
];

/** The columns a batch's encoded rows carry (rows.ts), in order; `seq` follows them. */
export const ENCODED_COLUMNS: readonly Column[] = USAGE_COLUMNS.filter(
  (c) => c.name !== 'ingest_batch' && c.name !== 'node'
);

/** The column of each dimension. */
export const DIMENSION_COLUMNS: Record<Dimension, (typeof ROLLUP_KEY)[number]> = {
  user: 'user_id',
  apiKey: 'api_key',
  team: 'team',
  tier: 'tier',
  model: 'model',
};

/** The dimensions an hourly rollup row is kept per: every one. */
export const ROLLUP_KEY = ['user_id', 'api_key', 'team', 'tier', 'model'] as const;

/**
 * `usage_hourly`: per hour (UTC) and ROLLUP_KEY, the sums every chargeback query and budget needs. Kept in the
 * same transaction as the rows it sums (and by re-pricing), so it always equals a scan of `usage`.
 */
export const ROLLUP_MEASURES = [
  'requests',
  'failed_requests',
  'input_uncached',
  'cache_read',
  'cache_write',
  'output',
  'reasoning',
  'cost_pusd',
  'charge_pusd',
  'unpriced_requests',
] as const;

/**
 * The measures of one usage row, as a rollup row holds them (for the part of a query that reads `usage`
 * itself, and for adding a batch to the rollup).
 */
export const ROW_MEASURES: Record<(typeof ROLLUP_MEASURES)[number], string> = {
  requests: '1',
  failed_requests: "CASE WHEN status = 'failure' THEN 1 ELSE 0 END",
  input_uncached: 'input_uncached',
  cache_read: 'cache_read',
  cache_write: 'cache_write',
  output: 'output',
  reasoning: 'reasoning',
  cost_pusd: 'cost_pusd',
  charge_pusd: 'charge_pusd',
  unpriced_requests: 'CASE WHEN cost_pusd IS NULL THEN 1 ELSE 0 END',
};

/** One hour, for rollup boundaries. */
export const HOUR_MS = 3_600_000;
