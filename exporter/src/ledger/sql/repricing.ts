import type { Price } from '../../pricing/pricer';
import type { RepricedModel, RepriceRun, RowPricer, UnpricedRow } from '../ledger';
import { modelNamingFromRow, PRICING_INPUT_COLUMNS, pricingInputsFromRow } from './storedRows';
import type { SqlDialect } from './usageQueries';

/**
 * What both SQL engines share of re-pricing stored rows, whether the unpriced ones (a book extended) or every
 * one of a time range (`reprice --from --to`, a corrected book): the columns read, which rows change and to
 * what, the rollups kept equal to a scan of `usage` (rollups.ts: shiftRollupsSql), and the record of a run. An engine reads a chunk of rows
 * and applies their updates in one transaction, so a crash leaves every row, its rollup and the run's record
 * consistent.
 */

/** Rows re-priced per transaction. */
export const REPRICE_CHUNK = 10_000;

/** The metric labels of a row (metricTotalsSql.ts's order), then what pricing needs, then its stored price. */
export const REPRICE_COLUMNS = `user_id, api_key, team, status, cost_pusd, fee_pusd, charge_pusd, priced_model, ${PRICING_INPUT_COLUMNS}`;

/**
 * The ways the rows `where` selects from `rows` name their model, with whether any of them reported usage or was
 * served from the gateway's cache: a few rows, where the unpriced rows themselves may be millions.
 */
export const modelNamingsSql = (rows: string, where: string): string =>
  `SELECT model, base_model, provider, bool_or(usage_reported) AS usage_reported,
     bool_or(gateway_cache_hit) AS gateway_cache_hit
   FROM ${rows} WHERE ${where} GROUP BY model, base_model, provider`;

/**
 * Whether `pricer` may price a row of these namings (modelNamingsSql's rows). False only when it certainly
 * prices none (Pricer.price: no price without reported usage or for a model the book does not know, but for a
 * gateway cache hit), so re-pricing that reads no row then changes nothing it would have changed.
 */
export function mayPriceAny(namings: readonly Record<string, unknown>[], pricer: RowPricer): boolean {
  return namings.some(
    (n) =>
      n.gateway_cache_hit === true || (n.usage_reported === true && pricer.billedModel(modelNamingFromRow(n)) !== null)
  );
}

/** A row's metric labels, as the usage counters are keyed. */
export const labelsOf = (r: Record<string, unknown>): string[] =>
  [r.user_id, r.tier, r.api_key, r.team, r.model, r.status].map(String);

const optBigint = (v: unknown): bigint | undefined =>
  v === null || v === undefined ? undefined : BigInt(v as bigint | string);

export interface RowUpdate {
  row: Record<string, unknown>;
  oldCostPusd: bigint | undefined;
  price: Price;
}

/** What re-pricing a ledger's unpriced records priced: each reported as it is, and counted (Ledger.repriceUnpriced). */
export class PricedTally {
  count = 0;
  constructor(private readonly onPriced: (labels: string[], costPusd: bigint) => void) {}

  /** A chunk's updates, as repriceChunks reports them. */
  readonly add = (_rows: Record<string, unknown>[], updates: readonly RowUpdate[]): void => {
    for (const u of updates) this.onPriced(labelsOf(u.row), u.price.costPusd);
    this.count += updates.length;
  };
}

/**
 * The rows whose stored price `price` changes: a price where there was none, or a different cost, fee, charge
 * or priced model. A row the book cannot price (now) keeps what it has: a corrected book never erases a cost.
 */
export function rowUpdates(
  rows: Record<string, unknown>[],
  price: (row: UnpricedRow) => Price | undefined
): RowUpdate[] {
  const out: RowUpdate[] = [];
  for (const row of rows) {
    const p = price(pricingInputsFromRow(row));
    if (!p) continue;
    const oldCostPusd = optBigint(row.cost_pusd);
    const same =
      oldCostPusd === p.costPusd &&
      optBigint(row.charge_pusd) === p.chargePusd &&
      optBigint(row.fee_pusd) === p.feePusd &&
      (row.priced_model ?? undefined) === p.pricedModel;
    if (!same) out.push({ row, oldCostPusd, price: p });
  }
  return out;
}

/** A chunk's totals per model: every row read, and the updates of those that change. */
export function chunkTotals(rows: Record<string, unknown>[], updates: readonly RowUpdate[]): RepricedModel[] {
  const chunk = new Map<string, RepricedModel>();
  const of = (model: string) => {
    let m = chunk.get(model);
    if (!m) {
      m = { model, requests: 0, repriced: 0, oldCostPusd: 0n, newCostPusd: 0n, oldChargePusd: 0n, newChargePusd: 0n };
      chunk.set(model, m);
    }
    return m;
  };
  for (const r of rows) {
    const m = of(String(r.model));
    const cost = optBigint(r.cost_pusd) ?? 0n;
    const charge = optBigint(r.charge_pusd) ?? 0n;
    m.requests++;
    m.oldCostPusd += cost;
    m.newCostPusd += cost;
    m.oldChargePusd += charge;
    m.newChargePusd += charge;
  }
  for (const u of updates) {
    const m = of(String(u.row.model));
    m.repriced++;
    m.newCostPusd += u.price.costPusd - (u.oldCostPusd ?? 0n);
    m.newChargePusd += u.price.chargePusd - (optBigint(u.row.charge_pusd) ?? 0n);
  }
  return [...chunk.values()];
}

/** The totals per model of a re-pricing run, chunk by committed chunk. */
export class RunTally {
  private readonly models = new Map<string, RepricedModel>();

  add(chunk: readonly RepricedModel[]): void {
    for (const m of chunk) {
      const total = this.models.get(m.model);
      if (!total) {
        this.models.set(m.model, { ...m });
        continue;
      }
      total.requests += m.requests;
      total.repriced += m.repriced;
      total.oldCostPusd += m.oldCostPusd;
      total.newCostPusd += m.newCostPusd;
      total.oldChargePusd += m.oldChargePusd;
      total.newChargePusd += m.newChargePusd;
    }
  }

  run(base: Omit<RepriceRun, 'models'>): RepriceRun {
    return { ...base, models: [...this.models.values()].sort((a, b) => a.model.localeCompare(b.model)) };
  }
}

/** Adds a chunk's totals to the run's record (`reprice_runs`, one row per run and model), in its transaction. */
export const RECORD_RUN_CHUNK = `INSERT INTO reprice_runs
  (run_id, run_at, node, from_time, to_time, price_version, model, requests, repriced, old_cost_pusd, new_cost_pusd, old_charge_pusd, new_charge_pusd)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
  ON CONFLICT (run_id, model) DO UPDATE SET requests = reprice_runs.requests + excluded.requests,
    repriced = reprice_runs.repriced + excluded.repriced,
    old_cost_pusd = reprice_runs.old_cost_pusd + excluded.old_cost_pusd,
    new_cost_pusd = reprice_runs.new_cost_pusd + excluded.new_cost_pusd,
    old_charge_pusd = reprice_runs.old_charge_pusd + excluded.old_charge_pusd,
    new_charge_pusd = reprice_runs.new_charge_pusd + excluded.new_charge_pusd`;

/** The record's parameters for one model of a chunk (times bound by the engine: `time`). */
export function recordRunParams<T>(
  run: Omit<RepriceRun, 'models'>,
  runId: string,
  m: RepricedModel,
  time: (ms: number) => T
): unknown[] {
  return [
    runId,
    time(run.atMs),
    run.node,
    time(run.fromMs),
    time(run.toMs),
    run.priceVersion,
    m.model,
    m.requests,
    m.repriced,
    m.oldCostPusd,
    m.newCostPusd,
    m.oldChargePusd,
    m.newChargePusd,
  ];
}

/** The run's id: when and where it ran (a node runs one at a time). */
export const runIdOf = (run: Pick<RepriceRun, 'atMs' | 'node'>): string =>
  `${new Date(run.atMs).toISOString()} ${run.node}`;

/** The recorded runs, newest first, from `reprice_runs` rows (times as epoch ms: `at_ms`, `from_ms`, `to_ms`). */
export function runsFromRows(rows: Record<string, unknown>[]): RepriceRun[] {
  const runs = new Map<string, RepriceRun>();
  for (const r of rows) {
    const id = String(r.run_id);
    let run = runs.get(id);
    if (!run) {
      run = {
        atMs: Number(r.at_ms),
        node: String(r.node),
        fromMs: Number(r.from_ms),
        toMs: Number(r.to_ms),
        priceVersion: String(r.price_version),
        models: [],
      };
      runs.set(id, run);
    }
    run.models.push({
      model: String(r.model),
      requests: Number(r.requests),
      repriced: Number(r.repriced),
      oldCostPusd: BigInt(r.old_cost_pusd as bigint | string),
      newCostPusd: BigInt(r.new_cost_pusd as bigint | string),
      oldChargePusd: BigInt(r.old_charge_pusd as bigint | string),
      newChargePusd: BigInt(r.new_charge_pusd as bigint | string),
    });
  }
  return [...runs.values()];
}

/** The SELECT of recorded runs (ORDER BY newest run first, then model), in the engine's dialect. */
export const repriceRunsSql = (d: SqlDialect): string =>
  `SELECT run_id, ${d.epochMs('run_at')} AS at_ms, node, ${d.epochMs('from_time')} AS from_ms, ${d.epochMs('to_time')} AS to_ms,
     price_version, model, requests, repriced, old_cost_pusd, new_cost_pusd, old_charge_pusd, new_charge_pusd
   FROM reprice_runs ORDER BY run_at DESC, run_id, model`;
