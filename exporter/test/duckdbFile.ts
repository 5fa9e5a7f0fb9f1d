import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { DuckDbLedger } from '../src/ledger/duckdb/duckDbLedger';
import { rebuildRollupSql } from '../src/ledger/duckdb/schema';

/**
 * A DuckDB ledger file opened by DuckDB itself, for what tests must see or do below the Ledger interface: what
 * the tables hold, a ledger as an older tokenledger wrote it, rows no batch could write.
 */
export async function withDuckDb<T>(path: string, work: (db: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(path);
  const db = await instance.connect();
  try {
    return await work(db);
  } finally {
    db.closeSync();
    instance.closeSync();
  }
}

export function duckDbRows(path: string, sql: string): Promise<Record<string, unknown>[]> {
  return withDuckDb(path, async (db) => (await db.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[]);
}

/**
 * Writes usage rows straight into a ledger file (made or migrated first, as `serve` would), and the hourly
 * rollup to match: `insert` is an INSERT INTO usage statement. For fixtures too large for batches, or that no
 * batch could write (a start time beyond what a JavaScript Date holds).
 */
export async function insertUsageDirectly(path: string, insert: string): Promise<void> {
  await (await DuckDbLedger.open(path, { node: 'fixture' })).close();
  await withDuckDb(path, async (db) => {
    await db.run(`BEGIN TRANSACTION; ${insert}; ${rebuildRollupSql()} COMMIT`);
  });
}
