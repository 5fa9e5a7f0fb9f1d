import { getActiveThreshold, type ThresholdsConfig } from '@grafana/data';

import { defaultBudgetThresholds } from './defaults';

/**
 * Colour name for a budget utilisation (1 = 100 %). The field config thresholds are read as percent of the
 * budget in either thresholds mode, because "percentage" in Grafana means percent of the field's min..max
 * range, which for money has no meaning here.
 */
export function budgetColor(utilisation: number, thresholds: ThresholdsConfig | undefined): string {
  const steps = thresholds?.steps?.length ? thresholds.steps : defaultBudgetThresholds.steps;
  return getActiveThreshold(utilisation * 100, steps).color;
}
