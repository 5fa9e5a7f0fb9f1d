import type { Pricer } from '../pricing/pricer';
import type { UsageAggregate } from '../metrics/usageAggregate';
import type { Ledger } from './ledger';

const CHUNK = 10000;

/**
 * Prices the ledger's unpriced records whose model now has a price (a price book was extended or reloaded).
 * Works in chunks of rows (by rowid: the ledger never deletes, so it is stable), each chunk's prices staged
 * and applied with one UPDATE in one transaction. Returns how many records were priced. `usage`, when
 * given, is credited with the new costs so the cost counters rise accordingly.
 */
export async function repriceUnpriced(ledger: Ledger, pricer: Pricer, usage?: UsageAggregate): Promise<number> {
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
    const updates: { rowid: bigint; cost: bigint; charge: bigint; labels: string[] }[] = [];
    for (const r of rows) {
      const tokens = {
        inputUncached: Number(r.input_uncached),
        cacheRead: Number(r.cache_read),
        cacheWrite: Number(r.cache_write),
        output: Number(r.output),
        reasoning: Number(r.reasoning),
      };
      const p = pricer.price(
        String(r.model),
        r.provider === null ? undefined : String(r.provider as string),
        String(r.tier),
        Number(r.start_ms),
        tokens
      );
      if (p)
        updates.push({
          rowid: BigInt(r.rid as bigint),
          cost: p.costPusd,
          charge: p.chargePusd,
          labels: [r.user_id, r.tier, r.api_key, r.team, r.model, r.status].map(String),
        });
    }
    if (!updates.length) continue;
    await ledger.transaction(async (db) => {
      await db.run('CREATE OR REPLACE TEMP TABLE reprice_staging (rid BIGINT, cost BIGINT, charge BIGINT)');
      const appender = await db.createAppender('reprice_staging', 'main', 'temp');
      try {
        for (const u of updates) {
          appender.appendBigInt(u.rowid);
          appender.appendBigInt(u.cost);
          appender.appendBigInt(u.charge);
          appender.endRow();
        }
      } finally {
        appender.closeSync();
      }
      await db.run(
        'UPDATE usage SET cost_pusd = s.cost, charge_pusd = s.charge, price_version = $version FROM reprice_staging s WHERE usage.rowid = s.rid AND usage.cost_pusd IS NULL',
        { version: pricer.book.version }
      );
      await db.run('DROP TABLE reprice_staging');
    });
    if (usage) for (const u of updates) usage.addCost(u.labels, u.cost);
    priced += updates.length;
  }
}
