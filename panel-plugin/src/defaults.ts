import { ThresholdsMode, type ThresholdsConfig } from '@grafana/data';

import type { BudgetState, Calculation, DrilldownMode, SortOrder, TopUsersOptions } from './types';

export const MAX_LIMIT = 100;

export const CALCULATIONS: Array<{ value: Calculation; label: string; description: string }> = [
  { value: 'lastNotNull', label: 'Last', description: 'Last non-empty value (month-to-date gauges)' },
  { value: 'sum', label: 'Total', description: 'Sum over the time range (cost per interval)' },
  { value: 'max', label: 'Max', description: 'Highest value in the time range' },
  { value: 'mean', label: 'Mean', description: 'Average over the time range' },
];

export const SORT_ORDERS: Array<{ value: SortOrder; label: string }> = [
  { value: 'desc', label: 'Highest first' },
  { value: 'asc', label: 'Lowest first' },
];

export const DRILLDOWN_MODES: Array<{ value: DrilldownMode; label: string; description: string }> = [
  { value: 'auto', label: 'Auto', description: 'Data links when the field has any, else the variable' },
  { value: 'variable', label: 'Variable', description: 'Set a dashboard variable to the clicked subject' },
  { value: 'links', label: 'Data links', description: "Follow the field's data links" },
  { value: 'none', label: 'None', description: 'Rows are not clickable' },
];

export const defaultOptions: TopUsersOptions = {
  limit: 10,
  labelField: '',
  valueField: '',
  limitField: 'limitUsd',
  spentField: 'spentUsd',
  calculation: 'lastNotNull',
  sortOrder: 'desc',
  showShare: true,
  showTokens: true,
  showRequests: true,
  showSparkline: true,
  showBudget: true,
  drilldown: 'auto',
  variableName: 'user',
};

/** Budget utilisation steps in percent: warning at 80, high at 95, exceeded at 100. */
export const defaultBudgetThresholds: ThresholdsConfig = {
  mode: ThresholdsMode.Absolute,
  steps: [
    { value: -Infinity, color: 'green' },
    { value: 80, color: 'yellow' },
    { value: 95, color: 'orange' },
    { value: 100, color: 'red' },
  ],
};

/**
 * Colours of a budget's own thresholds (from the data), by the severity reached: the same colours as the
 * default steps above, so a budget with the default 80 / 95 / 100 % looks the same either way.
 */
export const severityColors: Record<BudgetState, string> = {
  ok: 'green',
  warning: 'yellow',
  critical: 'orange',
  exceeded: 'red',
};
