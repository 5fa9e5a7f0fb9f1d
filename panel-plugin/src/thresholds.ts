import { ThresholdsMode, getActiveThreshold, type ThresholdsConfig } from '@grafana/data';

import { BUDGET_SEVERITIES } from './budgets';
import { defaultBudgetThresholds, severityColors } from './defaults';
import type { BudgetSeverity, BudgetState } from './types';

/** A budget's own thresholds as fractions of its limit, by severity (the exporter's threshold gauge). */
export type ThresholdRatios = Partial<Record<BudgetSeverity, number>>;

/**
 * Colour name for a budget utilisation (1 = 100 %). The thresholds are read as percent of the budget in
 * either thresholds mode, because "percentage" in Grafana means percent of the field's min..max range,
 * which for money has no meaning here. Pass the budget's own thresholds (`ownThresholds`) when it has
 * any, else the field config's.
 */
export function budgetColor(utilisation: number, thresholds: ThresholdsConfig | undefined): string {
  const steps = thresholds?.steps?.length ? thresholds.steps : defaultBudgetThresholds.steps;
  return getActiveThreshold(toPercent(utilisation), steps).color;
}

/**
 * A budget's own thresholds as threshold steps in percent of its limit, coloured by severity (warning
 * yellow, critical orange, exceeded red, below them green); undefined when it has none, so the caller falls
 * back to the panel's thresholds.
 */
export function ownThresholds(ratios: ThresholdRatios): ThresholdsConfig | undefined {
  const steps = BUDGET_SEVERITIES.flatMap((severity) => {
    const ratio = ratios[severity];
    return ratio === undefined || !Number.isFinite(ratio)
      ? []
      : [{ value: toPercent(ratio), color: severityColors[severity] }];
  });
  if (steps.length === 0) {
    return undefined;
  }
  // Stable sort: at equal values the higher severity comes last and wins, as in budgetState.
  steps.sort((a, b) => a.value - b.value);
  return { mode: ThresholdsMode.Absolute, steps: [{ value: -Infinity, color: severityColors.ok }, ...steps] };
}

/**
 * The highest severity whose threshold the utilisation has reached (>=, as the exporter's alerts compare);
 * undefined when the budget has no thresholds of its own.
 */
export function budgetState(utilisation: number, ratios: ThresholdRatios): BudgetState | undefined {
  let state: BudgetState | undefined;
  let reachedAt = -Infinity;
  for (const severity of BUDGET_SEVERITIES) {
    const ratio = ratios[severity];
    if (ratio === undefined || !Number.isFinite(ratio)) {
      continue;
    }
    state ??= 'ok';
    const percent = toPercent(ratio);
    if (toPercent(utilisation) >= percent && percent >= reachedAt) {
      state = severity;
      reachedAt = percent;
    }
  }
  return state;
}

/**
 * A ratio in percent, rounded to 1e-9 % so that a utilisation and a threshold of the same decimal compare
 * equal (0.29 × 100 is 28.999999999999996 in floating point). Colour only: amounts are never rounded here.
 */
function toPercent(ratio: number): number {
  return Math.round(ratio * 100 * 1e9) / 1e9;
}
