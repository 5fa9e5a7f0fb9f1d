import type { DuckDBValue } from '@duckdb/node-api';
import type { Ledger } from '../ledger/ledger';
import { DIMENSION_COLUMNS, Dimension, timestampParam } from '../ledger/queries';
import { Decimal, formatPicoUsd, picoToUsdNumber } from '../pricing/money';
import { Period, periodBounds } from './period';

/** What a budget caps: one user, API key, team or tier, or everything. */
export type BudgetScope = Dimension | 'global';
export const BUDGET_SCOPES: readonly BudgetScope[] = ['user', 'apiKey', 'team', 'tier', 'global'];
export const THRESHOLD_NAMES = ['warning', 'critical', 'exceeded'] as const;
export type ThresholdName = (typeof THRESHOLD_NAMES)[number];
export type BudgetState = 'ok' | ThresholdName;

export interface Budget {
  scope: BudgetScope;
  /** The user, key, team or tier; "global" for the global scope. */
  subject: string;
  period: Period;
  limitPusd: bigint;
  /** Fractions of the limit, ascending: warning, critical, exceeded (default 0.80, 0.95, 1.00). */
  thresholds: Record<ThresholdName, Decimal>;
}

export interface BudgetStatus {
  budget: Budget;
  periodStartMs: number;
  periodEndMs: number;
  spentPusd: bigint;
  /** Period-end spend if the rest of the period burns at the period's average rate so far. */
  projectedPusd: bigint;
  state: BudgetState;
}

/** Below this much elapsed time a projection would extrapolate noise: the rate is taken over at least an hour. */
const MIN_PROJECTION_BASIS_MS = 3600_000;

/** Whether spent >= limit × fraction, exactly. */
function reached(spent: bigint, limit: bigint, fraction: Decimal): boolean {
  return spent * 10n ** BigInt(fraction.scale) >= limit * fraction.units;
}

export function budgetState(spent: bigint, b: Budget): BudgetState {
  if (b.limitPusd <= 0n) return 'ok'; // a zero limit is an unset budget: it never alerts
  for (const name of [...THRESHOLD_NAMES].reverse()) if (reached(spent, b.limitPusd, b.thresholds[name])) return name;
  return 'ok';
}

export function project(spent: bigint, startMs: number, endMs: number, nowMs: number): bigint {
  const elapsed = Math.max(nowMs - startMs, MIN_PROJECTION_BASIS_MS);
  if (elapsed >= endMs - startMs) return spent;
  return (spent * BigInt(endMs - startMs)) / BigInt(elapsed);
}

/**
 * Spend of every budget in its current calendar period, from the ledger (exact and restart-safe). One scan
 * per distinct period: each budget is a filtered sum over it.
 */
export async function evaluateBudgets(
  ledger: Ledger,
  budgets: readonly Budget[],
  nowMs: number,
  timeZone: string
): Promise<BudgetStatus[]> {
  const out: BudgetStatus[] = [];
  const byPeriod = new Map<Period, Budget[]>();
  for (const b of budgets) byPeriod.set(b.period, [...(byPeriod.get(b.period) ?? []), b]);
  for (const [period, group] of byPeriod) {
    const { startMs, endMs } = periodBounds(period, nowMs, timeZone);
    const params: DuckDBValue[] = [timestampParam(startMs), timestampParam(endMs)];
    const sums = group.map((b, i) => {
      if (b.scope === 'global') return `coalesce(sum(cost_pusd), 0) AS b${i}`;
      params.push(b.subject);
      return `coalesce(sum(cost_pusd) FILTER (WHERE ${DIMENSION_COLUMNS[b.scope]} = $${params.length}), 0) AS b${i}`;
    });
    const row = (
      await ledger.rows(`SELECT ${sums.join(', ')} FROM usage WHERE start_time >= $1 AND start_time < $2`, params)
    )[0]!;
    group.forEach((b, i) => {
      const spent = BigInt(row[`b${i}`] as bigint);
      out.push({
        budget: b,
        periodStartMs: startMs,
        periodEndMs: endMs,
        spentPusd: spent,
        projectedPusd: project(spent, startMs, endMs, nowMs),
        state: budgetState(spent, b),
      });
    });
  }
  const order = new Map(budgets.map((b, i) => [b, i]));
  return out.sort((a, b) => order.get(a.budget)! - order.get(b.budget)!);
}

export function decimalNumber(d: Decimal): number {
  return Number(d.units) / 10 ** d.scale;
}

/** The JSON shape of a budget in /api/v1/budgets. */
export function budgetJson(s: BudgetStatus): Record<string, unknown> {
  const b = s.budget;
  return {
    scope: b.scope,
    subject: b.subject,
    period: b.period,
    periodStart: new Date(s.periodStartMs).toISOString(),
    periodEnd: new Date(s.periodEndMs).toISOString(),
    limitUsd: formatPicoUsd(b.limitPusd),
    spentUsd: formatPicoUsd(s.spentPusd),
    projectedUsd: formatPicoUsd(s.projectedPusd),
    utilisation: b.limitPusd > 0n ? picoToUsdNumber(s.spentPusd) / picoToUsdNumber(b.limitPusd) : null,
    thresholds: Object.fromEntries(THRESHOLD_NAMES.map((t) => [t, decimalNumber(b.thresholds[t])])),
    state: s.state,
  };
}
