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
  /**
   * For a column added by the pricing-inputs migration (#16: DuckDB schema 4, PostgreSQL schema 2): what a row
   * stored before it holds, as a SQL constant. Each is the value a record whose log said nothing of it gets, so a
   * migrated row reads (and prices again) exactly as it did; undefined for the columns every version has.
   */
  fill: string | undefined;
}

const col = (name: string, type: ColumnType, notNull: boolean, note = ''): Column => ({
  name,
  type,
  notNull,
  note,
  fill: undefined,
});
const added = (name: string, type: ColumnType, notNull: boolean, fill: string, note = ''): Column => ({
  name,
  type,
  notNull,
  note,
  fill,
});

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
  col('cache_write', 'bigint', true, 'cache writes with the 5-minute (or an unstated) TTL'),
  col('output', 'bigint', true, 'every output part included (reasoning, audio, image)'),
  col('reasoning', 'bigint', true),
  col('cost_pusd', 'bigint', false, 'provider list cost in pico-USD; NULL while the model has no price'),
  col('charge_pusd', 'bigint', false, 'what the tier is billed, pico-USD'),
  col('price_version', 'text', false),
  col('priced_on_ingest', 'boolean', true),
  col('ingest_batch', 'bigint', true, 'the ledger batch that added the row'),
  col('node', 'text', true, 'the replica that stored the row'),
  // Every other input of the pricer (types.ts PricingInputs), so that re-pricing applies every rule; then the
  // fee, the priced model and the gateway's own cost. Appended: an engine adds them to a table in place.
  added('model_requested', 'text', false, 'NULL', 'the model or deployment alias the client asked for'),
  added('base_model', 'text', false, 'NULL', "a deployment alias's base model, as the gateway logged it"),
  added('service_tier', 'text', false, 'NULL', "the provider's service tier (flex, priority, ...); NULL: standard"),
  added('speed', 'text', false, 'NULL', "Anthropic's speed (fast); NULL: standard"),
  added('inference_geo', 'text', false, 'NULL', 'where the provider ran inference; NULL: global'),
  added('cache_write_1h', 'bigint', true, '0', 'cache writes with the 1-hour TTL (not in cache_write)'),
  added('input_audio', 'bigint', true, '0', 'part of input_uncached'),
  added('input_image', 'bigint', true, '0', 'part of input_uncached'),
  added('input_video', 'bigint', true, '0', 'part of input_uncached'),
  added('output_audio', 'bigint', true, '0', 'part of output'),
  added('output_image', 'bigint', true, '0', 'part of output'),
  added('web_search_queries', 'bigint', true, '0'),
  added('web_search_context', 'text', false, 'NULL', "low | medium | high; NULL: the price book's default"),
  added('file_search_calls', 'bigint', true, '0'),
  added('code_interpreter_sessions', 'bigint', true, '0'),
  added('maps_grounding_queries', 'bigint', true, '0'),
  added('gateway_cache_hit', 'boolean', true, 'false', "answered from the gateway's own cache: no provider call"),
  added('usage_reported', 'boolean', true, 'true', 'false: the log reported no usage (tokens unknown, left unpriced)'),
  added('reported_cost_pusd', 'bigint', false, 'NULL', "the gateway's own cost of the request, pico-USD"),
  added('fee_pusd', 'bigint', true, '0', 'per-call fees inside cost_pusd, pico-USD; 0 while unpriced'),
  added('priced_model', 'text', false, 'NULL', "the price book's model it was priced as; NULL before schema 4"),
];

/** The columns of `usage` before the pricing-inputs migration. */
export const COLUMNS_BEFORE_PRICING_INPUTS: readonly Column[] = USAGE_COLUMNS.filter((c) => c.fill === undefined);

/** The columns a batch's encoded rows carry (rows.ts), in order (USAGE_COLUMNS' without the two); `seq` follows them. */
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
  // Added by the pricing-inputs migration: each is 0 over the rows stored before it (the fill of its columns).
  'cache_write_1h',
  'fee_pusd',
  'unreported_requests',
  'gateway_requests',
  'gateway_cost_pusd',
  'gateway_ours_pusd',
  'gateway_unpriced_requests',
] as const;

export type RollupMeasure = (typeof ROLLUP_MEASURES)[number];

/** The rollup measures an engine adds to a rollup table of an earlier schema, as 0 (see ROLLUP_MEASURES). */
export const MEASURES_ADDED_BY_PRICING_INPUTS: readonly RollupMeasure[] = ROLLUP_MEASURES.slice(
  ROLLUP_MEASURES.indexOf('cache_write_1h')
);

/**
 * The measures of one usage row, as a rollup row holds them (for the part of a query that reads `usage`
 * itself, and for adding a batch to the rollup). Reconciliation (`gateway_*`) compares like with like: the
 * requests the gateway reported a cost for and the price book priced; those it priced and the book did not are
 * counted apart (`gateway_unpriced_requests`).
 */
export const ROW_MEASURES: Record<RollupMeasure, string> = {
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
  cache_write_1h: 'cache_write_1h',
  fee_pusd: 'fee_pusd',
  unreported_requests: 'CASE WHEN usage_reported THEN 0 ELSE 1 END',
  gateway_requests: 'CASE WHEN reported_cost_pusd IS NOT NULL AND cost_pusd IS NOT NULL THEN 1 ELSE 0 END',
  gateway_cost_pusd: 'CASE WHEN cost_pusd IS NOT NULL THEN reported_cost_pusd END',
  gateway_ours_pusd: 'CASE WHEN reported_cost_pusd IS NOT NULL THEN cost_pusd END',
  gateway_unpriced_requests: 'CASE WHEN reported_cost_pusd IS NOT NULL AND cost_pusd IS NULL THEN 1 ELSE 0 END',
};

/** One hour, for rollup boundaries. */
export const HOUR_MS = 3_600_000;
