/**
 * Sample frames in the shapes the panel receives, shared by the unit tests and the browser harness.
 * Amounts are invented; the shapes follow the chargeback datasource (wide table, unit currencyUSD) and
 * Grafana's Prometheus datasource (one frame per series with labels, or the table-format instant result).
 */
import { FieldType, createDataFrame, type DataFrame } from '@grafana/data';

const DAY = 24 * 60 * 60 * 1000;
const START = Date.UTC(2025, 0, 6);
const money = { unit: 'currencyUSD' };

interface Spender {
  user: string;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  requests: number;
  limitUsd?: number;
  /** Relative daily spend over a week, oldest first. */
  week: number[];
}

export const spenders: Spender[] = [
  {
    user: 'maria.chen',
    costUsd: 1842.5,
    inputTokens: 98_400_000,
    outputTokens: 21_300_000,
    requests: 48_210,
    limitUsd: 2000,
    week: [3, 4, 4, 5, 6, 7, 9],
  },
  {
    user: 'j.okafor',
    costUsd: 1310.2,
    inputTokens: 61_700_000,
    outputTokens: 15_900_000,
    requests: 12_904,
    limitUsd: 1200,
    week: [2, 2, 3, 3, 5, 8, 11],
  },
  {
    user: 'data-science-bot',
    costUsd: 966.75,
    inputTokens: 120_500_000,
    outputTokens: 3_100_000,
    requests: 250_112,
    limitUsd: 1000,
    week: [6, 6, 5, 6, 6, 5, 6],
  },
  {
    user: 'support-copilot',
    costUsd: 540.1,
    inputTokens: 30_200_000,
    outputTokens: 9_800_000,
    requests: 88_340,
    limitUsd: 1000,
    week: [7, 6, 5, 4, 4, 3, 3],
  },
  {
    user: 'l.petrov',
    costUsd: 402.33,
    inputTokens: 18_900_000,
    outputTokens: 4_400_000,
    requests: 3_220,
    limitUsd: 750,
    week: [1, 5, 2, 6, 1, 4, 2],
  },
  {
    user: 'a.singh',
    costUsd: 215,
    inputTokens: 9_100_000,
    outputTokens: 2_600_000,
    requests: 1_980,
    week: [2, 3, 3, 4, 3, 3, 4],
  },
  {
    user: 'k.novak',
    costUsd: 96.4,
    inputTokens: 4_200_000,
    outputTokens: 900_000,
    requests: 760,
    limitUsd: 500,
    week: [0, 1, 1, 2, 1, 3, 2],
  },
  {
    user: 'ci-evals',
    costUsd: 12.9,
    inputTokens: 800_000,
    outputTokens: 95_000,
    requests: 5_400,
    week: [1, 1, 1, 1, 1, 1, 1],
  },
];

/** The chargeback datasource's costs query: one row per user for the whole range, budgets included. */
export function chargebackFrame(): DataFrame {
  return createDataFrame({
    refId: 'A',
    fields: [
      { name: 'user', type: FieldType.string, values: spenders.map((s) => s.user) },
      { name: 'costUsd', type: FieldType.number, values: spenders.map((s) => s.costUsd), config: money },
      { name: 'inputTokens', type: FieldType.number, values: spenders.map((s) => s.inputTokens) },
      { name: 'outputTokens', type: FieldType.number, values: spenders.map((s) => s.outputTokens) },
      { name: 'requests', type: FieldType.number, values: spenders.map((s) => s.requests) },
      { name: 'limitUsd', type: FieldType.number, values: spenders.map((s) => s.limitUsd ?? null), config: money },
      {
        name: 'spentUsd',
        type: FieldType.number,
        values: spenders.map((s) => (s.limitUsd ? s.costUsd : null)),
        config: money,
      },
    ],
  });
}

/** The same spend per day (long format: time, user, amounts), so the panel can draw trends. */
export function chargebackDailyFrame(): DataFrame {
  const rows = spenders.flatMap((s) => {
    const weight = s.week.reduce((sum, w) => sum + w, 0);
    return s.week.map((w, day) => ({ time: START + day * DAY, user: s.user, share: w / weight, s }));
  });
  return createDataFrame({
    refId: 'A',
    fields: [
      { name: 'time', type: FieldType.time, values: rows.map((r) => r.time) },
      { name: 'user', type: FieldType.string, values: rows.map((r) => r.user) },
      { name: 'costUsd', type: FieldType.number, values: rows.map((r) => r.s.costUsd * r.share), config: money },
      { name: 'inputTokens', type: FieldType.number, values: rows.map((r) => Math.round(r.s.inputTokens * r.share)) },
      { name: 'outputTokens', type: FieldType.number, values: rows.map((r) => Math.round(r.s.outputTokens * r.share)) },
      { name: 'requests', type: FieldType.number, values: rows.map((r) => Math.round(r.s.requests * r.share)) },
    ],
  });
}

/** The chargeback datasource's budgets query: a separate frame merged into the costs by user. */
export function chargebackBudgetsFrame(): DataFrame {
  const budgeted = spenders.filter((s) => s.limitUsd !== undefined);
  return createDataFrame({
    refId: 'B',
    fields: [
      { name: 'user', type: FieldType.string, values: budgeted.map((s) => s.user) },
      { name: 'limitUsd', type: FieldType.number, values: budgeted.map((s) => s.limitUsd), config: money },
      { name: 'spentUsd', type: FieldType.number, values: budgeted.map((s) => s.costUsd), config: money },
    ],
  });
}

/**
 * A Prometheus range query such as `topk(5, sum by (user) (increase(tokenledger_cost_usd_total[1d])))`:
 * one frame per series, a time field and a "Value" field whose labels name the user.
 */
export function prometheusMatrixFrames(count = 5): DataFrame[] {
  return spenders.slice(0, count).map((s) => {
    const weight = s.week.reduce((sum, w) => sum + w, 0);
    return createDataFrame({
      refId: 'A',
      fields: [
        { name: 'Time', type: FieldType.time, values: s.week.map((_, day) => START + day * DAY) },
        {
          name: 'Value',
          type: FieldType.number,
          labels: { user: s.user },
          config: { displayNameFromDS: s.user },
          values: s.week.map((w) => (s.costUsd * w) / weight),
        },
      ],
    });
  });
}

/** A Prometheus instant query in table format: Time, one column per label, "Value #A". */
export function prometheusTableFrame(): DataFrame {
  return createDataFrame({
    refId: 'A',
    fields: [
      { name: 'Time', type: FieldType.time, values: spenders.map(() => START) },
      { name: 'model', type: FieldType.string, values: spenders.map(() => 'gpt-4o') },
      { name: 'user', type: FieldType.string, values: spenders.map((s) => s.user) },
      { name: 'Value #A', type: FieldType.number, values: spenders.map((s) => s.costUsd) },
    ],
  });
}

/** The exporter's budget gauges from Prometheus (labels scope, subject, period; no legend set). */
export function prometheusBudgetFrames(): DataFrame[] {
  const budgeted = spenders.filter((s) => s.limitUsd !== undefined);
  const series = (metric: string, subject: string, value: number) =>
    createDataFrame({
      refId: metric,
      fields: [
        { name: 'Time', type: FieldType.time, values: [START] },
        {
          name: 'Value',
          type: FieldType.number,
          labels: { __name__: metric, scope: 'user', subject, period: 'monthly' },
          values: [value],
        },
      ],
    });
  return budgeted.flatMap((s) => [
    series('tokenledger_budget_limit_usd', s.user, s.limitUsd ?? 0),
    series('tokenledger_budget_spent_usd', s.user, s.costUsd),
  ]);
}

/** One budget as the exporter publishes it; `thresholds` are fractions of the limit, absent for none. */
interface BudgetGauges {
  scope: string;
  subject: string;
  period: string;
  limitUsd: number;
  spentUsd: number;
  thresholds?: { warning: number; critical: number; exceeded: number };
}

/**
 * Budgets with two of one subject (team "eng" monthly and daily) and one name in two scopes (user "ann" and
 * team "ann"). Only some carry thresholds of their own.
 */
export const budgetGauges: BudgetGauges[] = [
  {
    scope: 'team',
    subject: 'eng',
    period: 'monthly',
    limitUsd: 1000,
    spentUsd: 600,
    thresholds: { warning: 0.5, critical: 0.9, exceeded: 1 },
  },
  {
    scope: 'team',
    subject: 'eng',
    period: 'daily',
    limitUsd: 40,
    spentUsd: 38,
    thresholds: { warning: 0.8, critical: 0.95, exceeded: 1 },
  },
  { scope: 'user', subject: 'ann', period: 'weekly', limitUsd: 50, spentUsd: 20 },
  {
    scope: 'team',
    subject: 'ann',
    period: 'weekly',
    limitUsd: 300,
    spentUsd: 310,
    thresholds: { warning: 0.8, critical: 0.95, exceeded: 1.05 },
  },
];

/**
 * What the budgets dashboard's "Budget burn" panel receives from Prometheus: range queries of
 * `tokenledger_budget_spent_usd` (legend `spentUsd`) and `tokenledger_budget_limit_usd` (legend `limitUsd`),
 * and, `withThresholds`, `tokenledger_budget_threshold_ratio` without a legend (one series per severity).
 * Every series carries the budget's labels scope, subject and period.
 */
export function prometheusBudgetBurnFrames(budgets = budgetGauges, withThresholds = true): DataFrame[] {
  const series = (metric: string, legend: string | undefined, labels: Record<string, string>, value: number) =>
    createDataFrame({
      refId: metric,
      fields: [
        { name: 'Time', type: FieldType.time, values: [START, START + DAY] },
        {
          name: 'Value',
          type: FieldType.number,
          labels: { __name__: metric, ...labels },
          config: legend ? { displayNameFromDS: legend } : {},
          values: [value, value],
        },
      ],
    });
  return budgets.flatMap((b) => {
    const labels = { scope: b.scope, subject: b.subject, period: b.period };
    const thresholds = withThresholds && b.thresholds ? Object.entries(b.thresholds) : [];
    return [
      series('tokenledger_budget_spent_usd', 'spentUsd', labels, b.spentUsd),
      series('tokenledger_budget_limit_usd', 'limitUsd', labels, b.limitUsd),
      ...thresholds.map(([severity, ratio]) =>
        series('tokenledger_budget_threshold_ratio', undefined, { ...labels, severity }, ratio)
      ),
    ];
  });
}

/** The budget burn panel's options on the budgets dashboard (dashboards/budgets.json). */
export const budgetBurnOptions = {
  labelField: 'subject',
  valueField: 'spentUsd',
  limitField: 'limitUsd',
  spentField: 'spentUsd',
  variableName: 'subject',
};

/** The chargeback datasource's budgets query as it is: scope, subject and period columns, limit and spent. */
export function chargebackBudgetTableFrame(budgets = budgetGauges): DataFrame {
  return createDataFrame({
    refId: 'B',
    fields: [
      { name: 'scope', type: FieldType.string, values: budgets.map((b) => b.scope) },
      { name: 'subject', type: FieldType.string, values: budgets.map((b) => b.subject) },
      { name: 'period', type: FieldType.string, values: budgets.map((b) => b.period) },
      { name: 'limitUsd', type: FieldType.number, values: budgets.map((b) => b.limitUsd), config: money },
      { name: 'spentUsd', type: FieldType.number, values: budgets.map((b) => b.spentUsd), config: money },
    ],
  });
}
