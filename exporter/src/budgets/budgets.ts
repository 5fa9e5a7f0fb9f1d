import type { Ledger } from '../ledger/ledger';
import type { Dimension } from '../ledger/queries';
import { Decimal, formatPicoUsd, picoToUsdNumber } from '../money';
import { Period, periodBounds } from './period';

/** What a budget caps: one user, API key, team or tier, or everything. */
export type BudgetScope = Dimension | 'global';
export const BUDGET_SCOPES: readonly BudgetScope[] = ['user', 'apiKey', 'team', 'tier', 'global'];
export const THRESHOLD_NAMES = ['warning', 'critical', 'exceeded'] as const;
export type ThresholdName = (typeof THRESHOLD_NAMES)[number];
export type BudgetState = 'ok' | ThresholdName;
/** What a budget does in the request path (docs/enforcement.md): nothing (default), warn, or block. */
export const ENFORCE_MODES = ['off', 'warn', 'block'] as const;
export type EnforceMode = (typeof ENFORCE_MODES)[number];
/** What a decision does when the ledger's state is stale or unreachable: allow (open) or refuse (closed). */
export const FAIL_POLICIES = ['open', 'closed'] as const;
export type FailPolicy = (typeof FAIL_POLICIES)[number];

export interface Budget {
  scope: BudgetScope;
  /** The user, key, team or tier; "global" for the global scope. */
  subject: string;
  period: Period;
  limitPusd: bigint;
  /** Fractions of the limit, ascending: warning, critical, exceeded (default 0.80, 0.95, 1.00). */
  thresholds: Record<ThresholdName, Decimal>;
  enforce: EnforceMode;
  /** Fraction of the limit a blocking budget lets through beyond it: blocks only beyond limit × (1 + grace). */
  grace: Decimal;
  fail: FailPolicy;
}

/** The enforcement fields of a budget that only reports (the default). */
export const NOT_ENFORCED: Pick<Budget, 'enforce' | 'grace' | 'fail'> = {
  enforce: 'off',
  grace: { units: 0n, scale: 0 },
  fail: 'open',
};

/** A budget's identity among the configured ones (one per scope, subject and period). */
export function budgetKey(b: Pick<Budget, 'scope' | 'subject' | 'period'>): string {
  return `${b.scope}/${b.subject}/${b.period}`;
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
 * Spend of every budget in its current calendar period, from the ledger (exact and restart-safe; the ledger
 * sums each distinct period once, from its hourly rollup).
 */
export async function evaluateBudgets(
  ledger: Ledger,
  budgets: readonly Budget[],
  nowMs: number,
  timeZone: string
): Promise<BudgetStatus[]> {
  const periods = budgets.map((b) => periodBounds(b.period, nowMs, timeZone));
  const spent = await ledger.spend(
    budgets.map((b, i) => ({
      fromMs: periods[i]!.startMs,
      toMs: periods[i]!.endMs,
      ...(b.scope === 'global' ? {} : { subject: { dimension: b.scope, value: b.subject } }),
    }))
  );
  return budgets.map((b, i) => {
    const { startMs, endMs } = periods[i]!;
    return {
      budget: b,
      periodStartMs: startMs,
      periodEndMs: endMs,
      spentPusd: spent[i]!,
      projectedPusd: project(spent[i]!, startMs, endMs, nowMs),
      state: budgetState(spent[i]!, b),
    };
  });
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
