import type { Ledger } from '../exporter/src/ledger/ledger';

const DAY_MS = 86_400_000;
/** The 30 days the benchmark ledgers cover. */
export const FROM = Date.parse('2025-01-01T00:00:00Z');
export const TO = FROM + 30 * DAY_MS;

/** Fills the ledger inside DuckDB: 500 users, 1000 keys, 20 teams, 4 tiers, 6 models, evenly over 30 days. */
export async function fillLedger(ledger: Ledger, records: number): Promise<void> {
  const stepMs = Math.floor((TO - FROM) / records);
  await ledger.write((db) =>
    db.run(`
    INSERT INTO usage
    SELECT 'bench:' || i, TIMESTAMP '2025-01-01 00:00:00' + to_milliseconds(i * ${stepMs}), (i % 20000) / 2.0,
      'user-' || lpad(((i * 7919) % 500)::VARCHAR, 4, '0') || '@example.com', 'key-' || ((i * 7919) % 1000),
      NULL, 'team-' || ((i * 7919) % 500 % 20), ['free', 'standard', 'premium', 'enterprise'][((i * 7919) % 4) + 1],
      ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4-5', 'claude-haiku-4-5', 'o4-mini', 'llama-3.1-70b'][(i % 6) + 1],
      'openai', CASE WHEN i % 25 = 0 THEN 'failure' ELSE 'success' END, NULL,
      (i * 31) % 4000, (i * 17) % 1000, 0, (i * 13) % 1000, 0,
      ((i * 31) % 4000) * 2500000 + ((i * 13) % 1000) * 10000000, ((i * 31) % 4000) * 2500000 + ((i * 13) % 1000) * 10000000,
      'bench', true, 1
    FROM range(${records}) t(i)`)
  );
}
