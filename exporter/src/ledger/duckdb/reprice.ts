// First: configures DuckDB's allocator before DuckDB loads.
import './allocatorConf';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { DuckDBTimestampValue } from '@duckdb/node-api';
import type { Price } from '../../pricing/pricer';
import type { RepriceRun, RowPricer, UnpricedRow } from '../ledger';
import {
  chunkTotals,
  labelsOf,
  mayPriceAny,
  modelNamingsSql,
  PricedTally,
  recordRunParams,
  RECORD_RUN_CHUNK,
  REPRICE_CHUNK,
  REPRICE_COLUMNS,
  RowUpdate,
  rowUpdates,
  RunTally,
  runIdOf,
} from '../sql/repricing';
import { shiftRollupsSql } from '../rollups';

/** What re-pricing needs of the DuckDB ledger: one transaction at a time on its writer. */
export interface RepriceAccess {
  transaction<T>(work: (db: DuckDBConnection) => Promise<T>): Promise<T>;
}

const ts = (ms: number) => new DuckDBTimestampValue(BigInt(Math.round(ms)) * 1000n);

/**
 * Re-prices the rows `where` selects (of `usage_full`: every column), in chunks by `usage`'s rowid (rows are only deleted by retention, and every write
 * goes through the one writer, so it is stable). Each chunk is read, priced and applied in one transaction:
 * the rows' measures taken from the rollup, the rows updated, their measures added back; `onChunk` adds to it
 * (the run's record). `onUpdated` hears of each chunk's updates once committed.
 */
async function repriceChunks(
  ledger: RepriceAccess,
  where: string,
  params: DuckDBValue[],
  price: (row: UnpricedRow) => Price | undefined,
  priceVersion: string,
  onChunk: (db: DuckDBConnection, rows: Record<string, unknown>[], updates: RowUpdate[]) => Promise<void>,
  onUpdated: (rows: Record<string, unknown>[], updates: RowUpdate[]) => void
): Promise<void> {
  let afterRow = -1n;
  for (;;) {
    const { read, updates } = await ledger.transaction(async (db) => {
      const result = await db.runAndReadAll(
        `SELECT rid, epoch_ms(start_time) AS start_ms, ${REPRICE_COLUMNS}
         FROM usage_full WHERE ${where} AND rid > $${params.length + 1} ORDER BY rid LIMIT ${REPRICE_CHUNK}`,
        [...params, afterRow]
      );
      const rows = result.getRowObjectsJS() as Record<string, unknown>[];
      const changes = rowUpdates(rows, price);
      if (changes.length) await applyUpdates(db, changes, priceVersion);
      if (rows.length) await onChunk(db, rows, changes);
      return { read: rows, updates: changes };
    });
    if (read.length === 0) return;
    afterRow = BigInt(read[read.length - 1]!.rid as bigint);
    onUpdated(read, updates);
  }
}

async function applyUpdates(db: DuckDBConnection, updates: RowUpdate[], priceVersion: string): Promise<void> {
  await db.run(
    'CREATE OR REPLACE TEMP TABLE reprice_staging (rid BIGINT, cost BIGINT, fee BIGINT, charge BIGINT, priced_model VARCHAR)'
  );
  const appender = await db.createAppender('reprice_staging', 'main', 'temp');
  try {
    for (const { row, price: p } of updates) {
      appender.appendBigInt(BigInt(row.rid as bigint));
      appender.appendBigInt(p.costPusd);
      appender.appendBigInt(p.feePusd);
      appender.appendBigInt(p.chargePusd);
      appender.appendVarchar(p.pricedModel);
      appender.endRow();
    }
  } finally {
    appender.closeSync();
  }
  const staged = '(SELECT * FROM usage_full WHERE rid IN (SELECT rid FROM reprice_staging)) r';
  await db.run(shiftRollupsSql('-', staged));
  await db.run(
    `UPDATE usage SET cost_pusd = s.cost, fee_pusd = s.fee, charge_pusd = s.charge, priced_model = s.priced_model,
       price_version = $version
     FROM reprice_staging s WHERE usage.rowid = s.rid`,
    { version: priceVersion }
  );
  await db.run(shiftRollupsSql('+', staged));
  await db.run('DROP TABLE reprice_staging');
}

/** Prices the ledger's unpriced records that `pricer` now prices. Returns how many were priced. */
export async function repriceUnpriced(
  ledger: RepriceAccess,
  pricer: RowPricer,
  priceVersion: string,
  onPriced: (labels: string[], costPusd: bigint) => void
): Promise<number> {
  const unpriced = 'cost_pusd IS NULL';
  const namings = await ledger.transaction(async (db) =>
    (await db.runAndReadAll(modelNamingsSql('usage_full', unpriced))).getRowObjectsJS()
  );
  if (!mayPriceAny(namings, pricer)) return 0;
  const priced = new PricedTally(onPriced);
  const price = (row: UnpricedRow) => pricer.price(row);
  await repriceChunks(ledger, unpriced, [], price, priceVersion, async () => undefined, priced.add);
  return priced.count;
}

/** Prices every record of a time range again, and records the run (Ledger.repriceRange). */
export async function repriceRange(
  ledger: RepriceAccess,
  run: Omit<RepriceRun, 'models'>,
  price: (row: UnpricedRow) => Price | undefined,
  onRepriced: (labels: string[], costDeltaPusd: bigint) => void
): Promise<RepriceRun> {
  const tally = new RunTally();
  const runId = runIdOf(run);
  await repriceChunks(
    ledger,
    'start_time >= $1 AND start_time < $2',
    [ts(run.fromMs), ts(run.toMs)],
    price,
    run.priceVersion,
    async (db, rows, updates) => {
      for (const m of chunkTotals(rows, updates))
        await db.run(RECORD_RUN_CHUNK, recordRunParams(run, runId, m, ts) as DuckDBValue[]);
    },
    (rows, updates) => {
      tally.add(chunkTotals(rows, updates));
      for (const u of updates) onRepriced(labelsOf(u.row), u.price.costPusd - (u.oldCostPusd ?? 0n));
    }
  );
  return tally.run(run);
}
