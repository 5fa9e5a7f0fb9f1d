import { formatPicoUsd } from '../money';
import type { Pricer } from '../pricing/pricer';
import type { Ledger, RepricedModel, RepriceRun } from './ledger';

/**
 * Prices the ledger's unpriced records (this node's) whose model now has a price in `pricer`'s book; `onPriced`
 * hears of each, so the cost counters rise accordingly. Returns how many records were priced.
 */
export function repriceWith(
  ledger: Ledger,
  pricer: Pricer,
  onPriced: (labels: string[], costPusd: bigint) => void = () => undefined
): Promise<number> {
  return ledger.repriceUnpriced(pricer, pricer.book.version, onPriced);
}

/**
 * Prices every record of [fromMs, toMs) again with `pricer`'s book (`tokenledger reprice`, or serve's
 * POST /api/v1/reprice), recording the run; `onRepriced` hears what each change adds to the cost counters.
 */
export function repriceRangeWith(
  ledger: Ledger,
  pricer: Pricer,
  range: { fromMs: number; toMs: number },
  onRepriced: (labels: string[], costDeltaPusd: bigint) => void = () => undefined
): Promise<RepriceRun> {
  return ledger.repriceRange(range, (r) => pricer.price(r), pricer.book.version, onRepriced);
}

/** A model's line of a run, and the run's total, as decimal USD strings: what the API answers and the CLI prints. */
export interface RepricedModelJson {
  model: string;
  requests: number;
  repriced: number;
  oldCostUsd: string;
  newCostUsd: string;
  differenceUsd: string;
  oldChargeUsd: string;
  newChargeUsd: string;
}

export interface RepriceRunJson {
  at: string;
  node: string;
  from: string;
  to: string;
  priceVersion: string;
  models: RepricedModelJson[];
  total: Omit<RepricedModelJson, 'model'>;
}

function modelJson(m: Omit<RepricedModel, 'model'>): Omit<RepricedModelJson, 'model'> {
  return {
    requests: m.requests,
    repriced: m.repriced,
    oldCostUsd: formatPicoUsd(m.oldCostPusd),
    newCostUsd: formatPicoUsd(m.newCostPusd),
    differenceUsd: formatPicoUsd(m.newCostPusd - m.oldCostPusd),
    oldChargeUsd: formatPicoUsd(m.oldChargePusd),
    newChargeUsd: formatPicoUsd(m.newChargePusd),
  };
}

export function repriceRunJson(run: RepriceRun): RepriceRunJson {
  const total = run.models.reduce(
    (t, m) => ({
      requests: t.requests + m.requests,
      repriced: t.repriced + m.repriced,
      oldCostPusd: t.oldCostPusd + m.oldCostPusd,
      newCostPusd: t.newCostPusd + m.newCostPusd,
      oldChargePusd: t.oldChargePusd + m.oldChargePusd,
      newChargePusd: t.newChargePusd + m.newChargePusd,
    }),
    { requests: 0, repriced: 0, oldCostPusd: 0n, newCostPusd: 0n, oldChargePusd: 0n, newChargePusd: 0n }
  );
  return {
    at: new Date(run.atMs).toISOString(),
    node: run.node,
    from: new Date(run.fromMs).toISOString(),
    to: new Date(run.toMs).toISOString(),
    priceVersion: run.priceVersion,
    models: run.models.map((m) => ({ model: m.model, ...modelJson(m) })),
    total: modelJson(total),
  };
}
