import type { AlertSpec, RuleGroupSpec, Severity, TemplateDialect } from './model';

/**
 * Budget rules over the exporter's tokenledger_budget_* gauges (labels scope, subject, period). Every
 * budget the exporter exports is covered without listing any: thresholds come from
 * tokenledger_budget_threshold_ratio{severity}, which carries each budget's own (overridable) fractions.
 */

const BUDGET = ['scope', 'subject', 'period'] as const;

/** "Several times its usual level": the anomaly fires above this multiple of the previous day's rate. */
export const ANOMALY_FACTOR = 4;

const THRESHOLD_ALERTS: Record<Severity, string> = {
  warning: 'TokenLedgerBudgetWarning',
  critical: 'TokenLedgerBudgetCritical',
  exceeded: 'TokenLedgerBudgetExceeded',
};

const budgetName = (t: TemplateDialect) => `${t.label('scope')} ${t.label('subject')} (${t.label('period')} budget)`;

/** One alert per threshold: utilisation at or above the budget's own fraction for that severity. */
function thresholdAlert(severity: Severity): AlertSpec {
  const threshold = `tokenledger_budget_threshold_ratio{severity="${severity}"}`;
  return {
    alert: THRESHOLD_ALERTS[severity],
    // A zero limit has no utilisation series (the recording rule divides by `limit > 0`): it never alerts.
    expr: `tokenledger:budget_utilisation:ratio >= ignoring(severity) ${threshold}`,
    severity,
    component: 'budget',
    identity: BUDGET,
    dashboardLink: true,
    summary: (t) =>
      `${budgetName(t)} has spent ${t.value('percent')} of its limit: $${t.sample('usd', 'tokenledger_budget_spent_usd')} of ` +
      `$${t.sample('usd', 'tokenledger_budget_limit_usd')} (${severity} threshold ${t.sample('percent', 'tokenledger_budget_threshold_ratio', { matchers: [`severity="${severity}"`] })}).`,
  };
}

export const BUDGET_GROUP: RuleGroupSpec = {
  name: 'tokenledger-budgets',
  recording: [
    {
      record: 'tokenledger:budget_utilisation:ratio',
      expr: 'tokenledger_budget_spent_usd / (tokenledger_budget_limit_usd > 0)',
      help: 'spent / limit of each budget in its current period; absent for a zero limit',
    },
    {
      record: 'tokenledger:budget_projected_utilisation:ratio',
      expr: 'tokenledger_budget_projected_spend_usd / (tokenledger_budget_limit_usd > 0)',
      help: "projected period-end spend (the exporter's, at the period's average burn rate) / limit",
    },
    {
      record: 'tokenledger:budget_spent_usd:rate1h',
      // The spent gauge only falls when a new period starts from zero, which rate() handles as a counter reset.
      expr: 'rate(tokenledger_budget_spent_usd[1h])',
      help: 'USD per second spent against each budget over the last hour',
    },
  ],
  alerts: [
    thresholdAlert('warning'),
    thresholdAlert('critical'),
    thresholdAlert('exceeded'),
    {
      alert: 'TokenLedgerBudgetForecastExhausted',
      expr: [
        'tokenledger:budget_projected_utilisation:ratio >= ignoring(severity) tokenledger_budget_threshold_ratio{severity="exceeded"}',
        'unless',
        'tokenledger:budget_utilisation:ratio >= ignoring(severity) tokenledger_budget_threshold_ratio{severity="exceeded"}',
      ].join('\n'),
      for: '30m',
      severity: 'warning',
      component: 'budget',
      identity: BUDGET,
      dashboardLink: true,
      summary: (t) =>
        `At this burn rate ${budgetName(t)} is exhausted before the period ends: projected $${t.sample('usd', 'tokenledger_budget_projected_spend_usd')} ` +
        `(${t.value('percent')}) against a limit of $${t.sample('usd', 'tokenledger_budget_limit_usd')}; $${t.sample('usd', 'tokenledger_budget_spent_usd')} spent so far.`,
    },
    {
      alert: 'TokenLedgerBudgetSpendAnomaly',
      expr: [
        `3600 * tokenledger:budget_spent_usd:rate1h > ${ANOMALY_FACTOR} * 3600 * rate(tokenledger_budget_spent_usd[1d] offset 1h)`,
        'and',
        // ...and only while the spike outpaces the budget's even pace (its limit spread over its period): a fixed
        // share of the limit per hour would be deaf to a large monthly budget and shrill for a small daily one.
        '(tokenledger_budget_limit_usd > 0) / (tokenledger_budget_period_end_timestamp_seconds - tokenledger_budget_period_start_timestamp_seconds)',
        '< tokenledger:budget_spent_usd:rate1h',
      ].join('\n'),
      for: '15m',
      severity: 'warning',
      component: 'budget',
      identity: BUDGET,
      dashboardLink: true,
      summary: (t) =>
        `${budgetName(t)} is spending $${t.value('usd')}/h over the last hour, more than ${ANOMALY_FACTOR}x its usual ` +
        `$${t.sample('usd', 'tokenledger_budget_spent_usd', { wrap: (s) => `3600 * rate(${s}[1d] offset 1h)` })}/h (the day before).`,
    },
  ],
};
