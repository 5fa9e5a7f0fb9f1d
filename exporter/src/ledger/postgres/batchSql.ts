import { LATENCY_BUCKETS } from '../metricTotals';
import { ENCODED_COLUMNS, ROLLUP_KEY, ROLLUP_MEASURES, ROW_MEASURES, USAGE_COLUMNS } from '../schema';
import { RECONCILIATION_SUMS } from '../sql/metricTotalsSql';
import { addToRollupsSql, SUMMED_ROWS } from '../rollups';
import { COARSE_LEVELS_KEPT, PG_TYPES } from './schema';

/**
 * How a batch is stored on PostgreSQL, in one transaction: its rows are copied into `staging`, inserted into
 * `usage` with the unique index deciding what is new, and the new rows are summed in the same statement into
 * `batch_groups` (per hour, rollup key and status: a few thousand rows for a batch of 100,000), from which the
 * metric totals and the rollups are read. Only one pass over the rows after the insert, and none over a
 * copy of them: a temporary table of every new row, scanned three times, cost as much as the insert.
 */

const LATENCY = LATENCY_BUCKETS.map((le, i) => ({
  name: `b${i}`,
  count: `count(*) FILTER (WHERE duration_ms <= ${le * 1000})`,
}));

/** A batch group's key: the rollup's, and the status the metrics are labelled with. */
const GROUP_KEY = ['hour', ...ROLLUP_KEY, 'status'];

/** Both per connection (temporary), emptied at each commit. */
export const CREATE_BATCH_TABLES = `
CREATE TEMP TABLE IF NOT EXISTS staging (
  ${[...ENCODED_COLUMNS.map((c) => (c.name === 'start_time' ? 'start_us bigint' : `${c.name} ${PG_TYPES[c.type]}`)), 'seq integer'].join(',\n  ')}
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS batch_groups (
  hour timestamp NOT NULL,
  ${[...ROLLUP_KEY, 'status'].map((k) => `${k} text NOT NULL`).join(',\n  ')},
  ${[...ROLLUP_MEASURES, 'unpriced_on_ingest', ...LATENCY.map((b) => b.name), 'timed'].map((m) => `${m} bigint NOT NULL`).join(',\n  ')},
  duration_ms double precision NOT NULL
) ON COMMIT DELETE ROWS;`;

/** What `batch_groups` sums the new rows into: one expression per column, in its order. */
const GROUP_SUMS = [
  `date_trunc('hour', start_time)`,
  ...ROLLUP_KEY,
  'status',
  ...ROLLUP_MEASURES.map((m) => `coalesce(sum(${ROW_MEASURES[m]}), 0)`),
  'count(*) FILTER (WHERE NOT priced_on_ingest)',
  ...LATENCY.map((b) => b.count),
  'count(duration_ms)',
  'coalesce(sum(duration_ms), 0)',
];

/**
 * The columns of `usage` the sums read: what the insert returns. Returning every column (`RETURNING *`) cost
 * a fifth of the insert's CPU, the new rows materialised whole between the insert and the sums.
 */
const SUMMED_COLUMNS = USAGE_COLUMNS.map((c) => c.name).filter((name) =>
  GROUP_SUMS.some((sql) => new RegExp(`\\b${name}\\b`).test(sql))
);

/**
 * A batch's new rows into `usage`, summed into `batch_groups`: of repeats within the batch the first read
 * (`seq`) is kept, and a request already stored (by any replica) is left out by the unique index. Rows go in
 * the index's order, so two replicas storing the same requests wait for each other in the same order instead
 * of deadlocking.
 * `repeats`: whether rows the ledger holds already are expected (ON CONFLICT DO NOTHING skips them). Without,
 * the insert is a plain one, which a repeat fails (unique_violation, 23505) and which is then run again with
 * them expected: a plain insert spares each row the speculative insertion of ON CONFLICT (an index probe before
 * the row is inserted, a WAL record after), a tenth of a commit's CPU. Either way the unique index decides.
 */
export function insertNewRowsSql(repeats: boolean): string {
  const encoded = ENCODED_COLUMNS.map((c) =>
    c.name === 'start_time' ? `timestamp 'epoch' + start_us * interval '1 microsecond' AS start_time` : c.name
  ).join(', ');
  return `WITH ins AS (
    INSERT INTO usage (${[...ENCODED_COLUMNS.map((c) => c.name), 'ingest_batch', 'node'].join(', ')})
    SELECT * FROM (
      SELECT DISTINCT ON (start_us, record_key) ${encoded}, $1::bigint AS ingest_batch, $2::text AS node
      FROM staging ORDER BY start_us, record_key, seq) s
    ${repeats ? 'ON CONFLICT (start_time, record_key) DO NOTHING' : ''}
    RETURNING ${SUMMED_COLUMNS.join(', ')})
  INSERT INTO batch_groups SELECT ${GROUP_SUMS.join(', ')} FROM ins GROUP BY ${GROUP_KEY.map((_, i) => i + 1).join(', ')}`;
}

/** What the batch's new rows add to the metrics, in the columns metricTotalsFrom reads (metricTotalsSql.ts). */
export const BATCH_TOTALS = (() => {
  const labels = 'user_id, tier, api_key, team, model, status';
  return {
    cells: `SELECT ${labels}, sum(requests) AS requests, sum(input_uncached) AS t0, sum(cache_read) AS t1,
        sum(cache_write + cache_write_1h) AS t2, sum(output) AS t3, sum(cost_pusd) AS cost
      FROM batch_groups GROUP BY ${labels} ORDER BY ${labels}`,
    byModel: `SELECT model, sum(unpriced_on_ingest) AS unpriced, ${LATENCY.map((b) => `sum(${b.name}) AS ${b.name}`).join(', ')},
        sum(timed) AS n, sum(duration_ms) AS total_ms,
        ${RECONCILIATION_SUMS.map(([name, measure]) => `sum(${measure}) AS ${name}`).join(', ')}
      FROM batch_groups GROUP BY model`,
  };
})();

/** The batch's groups added to every rollup level (rollups.ts), the hourly one first. */
export const ADD_BATCH_TO_ROLLUP = `${COARSE_LEVELS_KEPT};\n${addToRollupsSql('batch_groups', SUMMED_ROWS)}`;
