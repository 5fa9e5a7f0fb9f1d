import { DuckDbLedger } from './duckdb/duckDbLedger';
import type { Ledger } from './ledger';
import { PostgresLedger } from './postgres/postgresLedger';

/** Which ledger to open: the `ledger:` setting, read by config.ts, or `--db` / `--ledger` on the command line. */
export type LedgerSpec =
  | { engine: 'duckdb'; path: string; memoryLimit?: string }
  | { engine: 'postgres'; url: string; password?: string; pool: number };

export const DEFAULT_POSTGRES_POOL = 4;

/** A `postgres://` or `postgresql://` URL names the shared ledger; anything else is a DuckDB file. */
export function isPostgresUrl(text: string): boolean {
  return /^postgres(ql)?:\/\//i.test(text);
}

/** The spec of a ledger named on the command line (a file path or a PostgreSQL URL). */
export function ledgerSpecOf(text: string): LedgerSpec {
  return isPostgresUrl(text)
    ? { engine: 'postgres', url: text, pool: DEFAULT_POSTGRES_POOL }
    : { engine: 'duckdb', path: text };
}

export function openLedger(spec: LedgerSpec, options: { node: string; readOnly?: boolean }): Promise<Ledger> {
  switch (spec.engine) {
    case 'duckdb':
      return DuckDbLedger.open(spec.path, {
        node: options.node,
        readOnly: options.readOnly,
        memoryLimit: spec.memoryLimit,
      });
    case 'postgres':
      return PostgresLedger.open({ url: spec.url, password: spec.password, pool: spec.pool, node: options.node });
  }
}

/** Where the ledger is, for messages: never a password. */
export function ledgerLocation(spec: LedgerSpec): string {
  return spec.engine === 'duckdb' ? spec.path : PostgresLedger.location(spec.url);
}
