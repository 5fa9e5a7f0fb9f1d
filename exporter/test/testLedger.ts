import { RunningPostgres, startPostgres } from './postgres';

/** The ledger engines an end-to-end test runs on: every one, always (no test skips an engine). */
export const LEDGER_ENGINES = ['DuckDB', 'PostgreSQL'] as const;
export type LedgerEngine = (typeof LEDGER_ENGINES)[number];

/** A ledger for one test: its `ledger:` setting for a config file, and what stops it. */
export interface TestLedger {
  setting: string;
  stop(): Promise<void>;
}

let databases = 0;

/**
 * A new, empty ledger on `engine`: a DuckDB file in the test's directory (relative to its config), or a
 * database on a private PostgreSQL cluster started for it (test/postgres.ts).
 */
export async function testLedger(engine: LedgerEngine): Promise<TestLedger> {
  if (engine === 'DuckDB') return { setting: 'ledger.duckdb', stop: async () => undefined };
  const pg: RunningPostgres = await startPostgres();
  try {
    return { setting: await pg.createDatabase(`ledger_${++databases}`), stop: () => pg.stop() };
  } catch (e) {
    await pg.stop();
    throw e;
  }
}
