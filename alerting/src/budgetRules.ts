import type { AlertSpec, RuleGroupSpec, Severity, TemplateDialect } from './model';
import { acrossReplicasMax } from './replicas';

/**
 * Budget rules over the exporter's tokenledger_budget_* gauges (labels scope, subject, period). Every
 * budget the exporter exports is covered without listing any: thresholds come from
 * tokenledger_budget_threshold_ratio{severity}, which carries each budget's own (overridable) fractions.
 *
 * Every replica of a fleet exports the same budget gauges (they are read from the shared ledger): the recording
 * rules keep one series per budget (replicas.ts), and the alerts read only those, so each fires once per budget.
 */

/** A budget's labels once its gauges are deduplicated; `job` keeps two fleets' budgets of one name apart. */
const BUDGET = ['job', 'scope', 'subject', 'period'] as const;

/** The deduplicated budget gauges the alerts and their summaries read. */
const LIMIT = 'tokenledger:budget_limit_usd:max';
const SPENT = 'tokenledger:budget_spent_usd:max';
const PROJECTED = 'tokenledger:budget_projected_spend_usd:max';

/**
 * A budget's own fraction for `severity`, one series per budget. Not a recording rule: Grafana-managed rules
 * inline recording rules, and a label matcher cannot follow an inlined expression.
 */
const threshold = (severity: Severity) =>
  acrossReplicasMax(`tokenledger_budget_threshold_ratio{severity="${severity}"}`);

/** USD per second spent against each budget over the day before the last hour: the anomaly's usual rate. */
const usualSpendRate = (spent: string) => acrossReplicasMax(`rate(${spent}[1d] offset 1h)`);

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
  return {
    alert: THRESHOLD_ALERTS[severity],
    // A zero limit has no utilisation series (the recording rule divides by `limit > 0`): it never alerts.
    expr: `tokenledger:budget_utilisation:ratio >= ignoring(severity) ${threshold(severity)}`,
    severity,
    component: 'budget',
    identity: BUDGET,
    dashboardLink: true,
    summary: (t) =>
      `${budgetName(t)} has spent ${t.value('percent')} of its limit: $${t.sample('usd', SPENT)} of ` +
      `$${t.sample('usd', LIMIT)} (${severity} threshold ${t.sample('percent', 'tokenledger_budget_threshold_ratio', { matchers: [`severity="${severity}"`], wrap: acrossReplicasMax })}).`,
  };
}

/** Requests an enforcing budget refused (429, or 503 when failing closed) over the last 5 minutes, all replicas summed. */
const BLOCKED_5M =
  'sum by (job, scope, subject, period) (increase(tokenledger_enforcement_decisions_total{decision="block"}[5m]))';

/**
 * A budget with `enforce: block` has started refusing requests (docs/enforcement.md). Each replica counts its
 * own decisions, so they are summed, not deduplicated. No `for:`: the first refused request is the news.
 */
const BLOCKING_ALERT: AlertSpec = {
  alert: 'TokenLedgerBudgetBlocking',
  expr: `${BLOCKED_5M} > 0`,
  severity: 'critical',
  component: 'budget',
  identity: BUDGET,
  dashboardLink: true,
  summary: (t) =>
    `${budgetName(t)} is refusing requests: ${t.value('count')} blocked in the last 5 minutes ($${t.sample('usd', SPENT)} spent of $${t.sample('usd', LIMIT)}).`,
};

export const BUDGET_GROUP: RuleGroupSpec = {
  name: 'tokenledger-budgets',
  recording: [
    {
      record: LIMIT,
      expr: acrossReplicasMax('tokenledger_budget_limit_usd'),
      help: "each budget's limit in USD, one series per budget however many replicas export it",
    },
    {
      record: SPENT,
      expr: acrossReplicasMax('tokenledger_budget_spent_usd'),
      help: 'USD spent against each budget in its current period, one series per budget',
    },
    {
      record: PROJECTED,
      expr: acrossReplicasMax('tokenledger_budget_projected_spend_usd'),
      help: "projected period-end spend in USD (the exporter's, at the period's average burn rate), one series per budget",
    },
    {
      record: 'tokenledger:budget_utilisation:ratio',
      expr: `${SPENT} / (${LIMIT} > 0)`,
      help: 'spent / limit of each budget in its current period; absent for a zero limit',
    },
    {
      record: 'tokenledger:budget_projected_utilisation:ratio',
      expr: `${PROJECTED} / (${LIMIT} > 0)`,
      help: 'projected period-end spend / limit',
    },
    {
      record: 'tokenledger:budget_spent_usd:rate1h',
      // The spent gauge only falls when a new period starts from zero, which rate() handles as a counter reset.
      // Each replica's series is rated on its own, then deduplicated: a replica started within the hour rates
      // less history, and max takes the replicas that saw all of it.
      expr: acrossReplicasMax('rate(tokenledger_budget_spent_usd[1h])'),
      help: 'USD per second spent against each budget over the last hour',
    },
  ],
  alerts: [
    BLOCKING_ALERT,
    thresholdAlert('warning'),
    thresholdAlert('critical'),
    thresholdAlert('exceeded'),
    {
      alert: 'TokenLedgerBudgetForecastExhausted',
      expr: [
        `tokenledger:budget_projected_utilisation:ratio >= ignoring(severity) ${threshold('exceeded')}`,
        'unless',
        `tokenledger:budget_utilisation:ratio >= ignoring(severity) ${threshold('exceeded')}`,
      ].join('\n'),
      for: '30m',
      severity: 'warning',
      component: 'budget',
      identity: BUDGET,
      dashboardLink: true,
      summary: (t) =>
        `At this burn rate ${budgetName(t)} is exhausted before the period ends: projected $${t.sample('usd', PROJECTED)} ` +
        `(${t.value('percent')}) against a limit of $${t.sample('usd', LIMIT)}; $${t.sample('usd', SPENT)} spent so far.`,
    },
    {
      alert: 'TokenLedgerBudgetSpendAnomaly',
      expr: [
        `3600 * tokenledger:budget_spent_usd:rate1h > ${ANOMALY_FACTOR} * 3600 * ${usualSpendRate('tokenledger_budget_spent_usd')}`,
        'and',
        // ...and only while the spike outpaces the budget's even pace (its limit spread over its period): a fixed
        // share of the limit per hour would be deaf to a large monthly budget and shrill for a small daily one.
        acrossReplicasMax(
          '(tokenledger_budget_limit_usd > 0) / (tokenledger_budget_period_end_timestamp_seconds - tokenledger_budget_period_start_timestamp_seconds)'
        ),
        '< tokenledger:budget_spent_usd:rate1h',
      ].join('\n'),
      for: '15m',
      severity: 'warning',
      component: 'budget',
      identity: BUDGET,
      dashboardLink: true,
      summary: (t) =>
        `${budgetName(t)} is spending $${t.value('usd')}/h over the last hour, more than ${ANOMALY_FACTOR}x its usual ` +
        `$${t.sample('usd', 'tokenledger_budget_spent_usd', { wrap: (s) => `3600 * ${usualSpendRate(s)}` })}/h (the day before).`,
    },
  ],
};
