import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { DuckDBTimestampValue } from '@duckdb/node-api';
import type { Price } from '../../pricing/pricer';
import type { UnpricedRow } from '../ledger';
import { ROLLUP_KEY } from '../schema';
import { unpricedFromRow } from '../sql/storedRows';

const CHUNK = 10000;

/** What re-pricing needs of the DuckDB ledger: queries, and one transaction at a time. */
export interface RepriceAccess {
  rows(sql: string, params: DuckDBValue[]): Promise<Record<string, unknown>[]>;
  transaction<T>(work: (db: DuckDBConnection) => Promise<T>): Promise<T>;
}

/**
 * Prices the ledger's unpriced records that `price` now prices. Works in chunks of rows (by rowid: rows are
 * only deleted by retention, never while this runs, so it is stable), each chunk's prices staged and applied
 * with one UPDATE of `usage` and one of `usage_hourly`, in one transaction. Returns how many records were priced.
 */
export async function repriceUnpriced(
  ledger: RepriceAccess,
  price: (row: UnpricedRow) => Price | undefined,
  priceVersion: string,
  onPriced: (labels: string[], costPusd: bigint) => void
): Promise<number> {
  let priced = 0;
  let afterRow = -1n;
  for (;;) {
    const rows = await ledger.rows(
      `SELECT rowid AS rid, user_id, tier, api_key, team, model, provider, status, epoch_ms(start_time) AS start_ms,
              input_uncached, cache_read, cache_write, output, reasoning
       FROM usage WHERE cost_pusd IS NULL AND rowid > $1 ORDER BY rowid LIMIT ${CHUNK}`,
      [afterRow]
    );
    if (rows.length === 0) return priced;
    afterRow = BigInt(rows[rows.length - 1]!.rid as bigint);
    const updates: { row: Record<string, unknown>; price: Price }[] = [];
    for (const r of rows) {
      const p = price(unpricedFromRow(r));
      if (p) updates.push({ row: r, price: p });
    }
    if (!updates.length) continue;
    await ledger.transaction(async (db) => {
      await db.run(
        `CREATE OR REPLACE TEMP TABLE reprice_staging (rid BIGINT, cost BIGINT, charge BIGINT, hour TIMESTAMP, ${ROLLUP_KEY.map((k) => `${k} VARCHAR`).join(', ')})`
      );
      const appender = await db.createAppender('reprice_staging', 'main', 'temp');
      try {
        for (const { row, price: p } of updates) {
          appender.appendBigInt(BigInt(row.rid as bigint));
          appender.appendBigInt(p.costPusd);
          appender.appendBigInt(p.chargePusd);
          const hourMs = Math.floor(Number(row.start_ms) / 3_600_000) * 3_600_000;
          appender.appendTimestamp(new DuckDBTimestampValue(BigInt(hourMs) * 1000n));
          for (const k of ROLLUP_KEY) appender.appendVarchar(String(row[k]));
          appender.endRow();
        }
      } finally {
        appender.closeSync();
      }
      await db.run(
        'UPDATE usage SET cost_pusd = s.cost, charge_pusd = s.charge, price_version = $version FROM reprice_staging s WHERE usage.rowid = s.rid AND usage.cost_pusd IS NULL',
        { version: priceVersion }
      );
      const key = ROLLUP_KEY.join(', ');
      await db.run(
        `UPDATE usage_hourly h SET cost_pusd = h.cost_pusd + s.cost, charge_pusd = h.charge_pusd + s.charge, unpriced_requests = h.unpriced_requests - s.n
         FROM (SELECT hour, ${key}, sum(cost) AS cost, sum(charge) AS charge, count(*) AS n FROM reprice_staging GROUP BY hour, ${key}) s
         WHERE ${['hour', ...ROLLUP_KEY].map((k) => `h.${k} = s.${k}`).join(' AND ')}`
      );
      await db.run('DROP TABLE reprice_staging');
    });
    for (const { row, price: p } of updates)
      onPriced([row.user_id, row.tier, row.api_key, row.team, row.model, row.status].map(String), p.costPusd);
    priced += updates.length;
  }
}
