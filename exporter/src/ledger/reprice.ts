import type { Pricer } from '../pricing/pricer';
import type { UsageAggregate } from '../metrics/usageAggregate';
import type { Ledger } from './ledger';

const CHUNK = 10000;

/**
 * Prices the ledger's unpriced records whose model now has a price (a price book was extended or reloaded).
 * Works in chunks, each in one transaction. Returns how many records were priced. `usage`, when given, is
 * credited with the new costs so the cost counters rise accordingly.
 */
export async function repriceUnpriced(ledger: Ledger, pricer: Pricer, usage?: UsageAggregate): Promise<number> {
  let priced = 0;
  let afterKey = '';
  for (;;) {
    const rows = await ledger.rows(
      `SELECT record_key, user_id, tier, api_key, team, model, status, epoch_ms(start_time) AS start_ms,
              input_uncached, cache_read, cache_write, output, reasoning
       FROM usage WHERE cost_pusd IS NULL AND record_key > $1 ORDER BY record_key LIMIT ${CHUNK}`,
      [afterKey],
    );
    if (rows.length === 0) return priced;
    afterKey = String(rows[rows.length - 1]!.record_key);
    const updates: { key: string; cost: bigint; charge: bigint; labels: string[] }[] = [];
    for (const r of rows) {
      const tokens = { inputUncached: Number(r.input_uncached), cacheRead: Number(r.cache_read), cacheWrite: Number(r.cache_write), output: Number(r.output), reasoning: Number(r.reasoning) };
      const tier = String(r.tier);
      const p = pricer.price(String(r.model), tier, Number(r.start_ms), tokens);
      if (p) updates.push({ key: String(r.record_key), cost: p.costPusd, charge: p.chargePusd, labels: [r.user_id, r.tier, r.api_key, r.team, r.model, r.status].map(String) });
    }
    if (!updates.length) continue;
    await ledger.transaction(async (db) => {
      for (const u of updates) {
        await db.run('UPDATE usage SET cost_pusd = $cost, charge_pusd = $charge, price_version = $version WHERE record_key = $key AND cost_pusd IS NULL', {
          cost: u.cost, charge: u.charge, version: pricer.book.version, key: u.key,
        });
      }
    });
    if (usage) for (const u of updates) usage.cell(u.labels).costPusd += u.cost;
    priced += updates.length;
  }
}
