import { ExpectedAlert, InputSeries, promtoolTest, RuleTestCase, series } from './promtool';

/**
 * `promtool test rules` over the committed rule file: thresholds at their exact boundaries, per-budget
 * thresholds, forecast and anomaly (with their `for:`), and silence for zero limits and missing data.
 * Each case is one promtool run, so a failure prints promtool's own diff.
 */

const RUNBOOKS = 'https://github.com/tokenledger/tokenledger/blob/main/alerting/runbooks';
const DASHBOARD = 'http://localhost:3000/d/tokenledger-budgets/tokenledger-budgets';

interface BudgetLabels {
  scope: string;
  subject: string;
  period: string;
}

const TEAM: BudgetLabels = { scope: 'team', subject: 'engineering', period: 'monthly' };
const ALICE: BudgetLabels = { scope: 'user', subject: 'alice@example.com', period: 'weekly' };
const target = { job: 'tokenledger', instance: 'exporter:9464' };

/** A 30-day period: the even pace of a budget is its limit / 720 per hour. */
const PERIOD_START = 1_764_547_200;
const PERIOD_END = PERIOD_START + 30 * 86_400;

/** The gauges the exporter serves for one budget; values in promtool's expanding notation. */
function budgetSeries(
  b: BudgetLabels,
  v: { limit: string; spent?: string; projected?: string; thresholds?: [string, string, string] },
  scrapedAs: Record<string, string> = target
): InputSeries[] {
  const labels = { ...scrapedAs, ...b };
  const [warning, critical, exceeded] = v.thresholds ?? ['0.8x2000', '0.95x2000', '1x2000'];
  return [
    { series: series('tokenledger_budget_limit_usd', labels), values: v.limit },
    { series: series('tokenledger_budget_period_start_timestamp_seconds', labels), values: `${PERIOD_START}x2000` },
    { series: series('tokenledger_budget_period_end_timestamp_seconds', labels), values: `${PERIOD_END}x2000` },
    ...(v.spent ? [{ series: series('tokenledger_budget_spent_usd', labels), values: v.spent }] : []),
    ...(v.projected ? [{ series: series('tokenledger_budget_projected_spend_usd', labels), values: v.projected }] : []),
    { series: series('tokenledger_budget_threshold_ratio', { ...labels, severity: 'warning' }), values: warning },
    { series: series('tokenledger_budget_threshold_ratio', { ...labels, severity: 'critical' }), values: critical },
    { series: series('tokenledger_budget_threshold_ratio', { ...labels, severity: 'exceeded' }), values: exceeded },
  ];
}

function budgetAlert(
  alert: string,
  severity: string,
  b: BudgetLabels,
  summary: string,
  fleet: Record<string, string> = { job: target.job }
): ExpectedAlert {
  return {
    // One alert per budget: the replica's own target labels (instance, pod, node) are not on it, its job is.
    exp_labels: { ...fleet, ...b, severity, component: 'budget' },
    exp_annotations: {
      summary,
      runbook_url: `${RUNBOOKS}/${alert}.md`,
      dashboard_url: `${DASHBOARD}?var-scope=${encodeURIComponent(b.scope)}&var-subject=${encodeURIComponent(b.subject)}`,
    },
  };
}

function expectPasses(testCase: RuleTestCase): void {
  const r = promtoolTest(testCase);
  if (r.status !== 0) throw new Error(`promtool test rules failed:\n${r.output}`);
  expect(r.output).toContain('SUCCESS');
}

const BUDGET_ALERTS = [
  'TokenLedgerBudgetWarning',
  'TokenLedgerBudgetCritical',
  'TokenLedgerBudgetExceeded',
  'TokenLedgerBudgetForecastExhausted',
  'TokenLedgerBudgetSpendAnomaly',
];

const THRESHOLD_ALERT = {
  warning: 'TokenLedgerBudgetWarning',
  critical: 'TokenLedgerBudgetCritical',
  exceeded: 'TokenLedgerBudgetExceeded',
} as const;

describe('budget threshold alerts', () => {
  const thresholds = [
    { alert: 'TokenLedgerBudgetWarning', severity: 'warning', percent: 80, next: 'TokenLedgerBudgetCritical' },
    { alert: 'TokenLedgerBudgetCritical', severity: 'critical', percent: 95, next: 'TokenLedgerBudgetExceeded' },
    { alert: 'TokenLedgerBudgetExceeded', severity: 'exceeded', percent: 100, next: undefined },
  ];

  it.each(thresholds)(
    '$alert fires at exactly $percent % of the limit, not at 0.1 % below',
    ({ alert, severity, percent, next }) => {
      expectPasses({
        interval: '1m',
        input_series: budgetSeries(TEAM, { limit: '100x5', spent: `${percent - 0.1} ${percent}x4` }),
        alert_rule_test: [
          { eval_time: '0m', alertname: alert, exp_alerts: [] },
          {
            eval_time: '1m',
            alertname: alert,
            exp_alerts: [
              budgetAlert(
                alert,
                severity,
                TEAM,
                `team engineering (monthly budget) has spent ${percent}% of its limit: $${percent}.00 of $100.00 (${severity} threshold ${percent}%).`
              ),
            ],
          },
          ...(next ? [{ eval_time: '1m', alertname: next, exp_alerts: [] }] : []),
        ],
      });
    }
  );

  it("uses the budget's own thresholds when it overrides 80/95/100", () => {
    expectPasses({
      interval: '1m',
      input_series: budgetSeries(ALICE, { limit: '20x5', spent: '9.99 10x4', thresholds: ['0.5x5', '0.9x5', '1x5'] }),
      alert_rule_test: [
        { eval_time: '0m', alertname: 'TokenLedgerBudgetWarning', exp_alerts: [] },
        {
          eval_time: '1m',
          alertname: 'TokenLedgerBudgetWarning',
          exp_alerts: [
            budgetAlert(
              'TokenLedgerBudgetWarning',
              'warning',
              ALICE,
              'user alice@example.com (weekly budget) has spent 50% of its limit: $10.00 of $20.00 (warning threshold 50%).'
            ),
          ],
        },
        { eval_time: '1m', alertname: 'TokenLedgerBudgetCritical', exp_alerts: [] },
      ],
    });
  });

  it('never alerts for a budget with a zero limit, or without spend data', () => {
    expectPasses({
      interval: '1m',
      input_series: [
        ...budgetSeries(TEAM, { limit: '0x60', spent: '0+5x60', projected: '500x60' }),
        ...budgetSeries(ALICE, { limit: '20x60' }),
      ],
      alert_rule_test: ['1m', '31m', '60m'].flatMap((t) =>
        BUDGET_ALERTS.map((alertname) => ({ eval_time: t, alertname, exp_alerts: [] }))
      ),
    });
  });
});

describe('budget forecast alert', () => {
  it('fires once the projection has stayed at or over the limit for 30m, and not for a budget already exceeded', () => {
    const exceeded: BudgetLabels = { ...TEAM, subject: 'research' };
    const forecast = budgetAlert(
      'TokenLedgerBudgetForecastExhausted',
      'warning',
      TEAM,
      'At this burn rate team engineering (monthly budget) is exhausted before the period ends: projected $120.00 (120%) against a limit of $100.00; $41.00 spent so far.'
    );
    expectPasses({
      interval: '1m',
      input_series: [
        ...budgetSeries(TEAM, { limit: '100x40', spent: '10+1x40', projected: '90 120x39' }),
        ...budgetSeries(exceeded, { limit: '100x40', spent: '100+1x40', projected: '150x40' }),
      ],
      alert_rule_test: [
        { eval_time: '0m', alertname: 'TokenLedgerBudgetForecastExhausted', exp_alerts: [] },
        { eval_time: '30m', alertname: 'TokenLedgerBudgetForecastExhausted', exp_alerts: [] },
        { eval_time: '31m', alertname: 'TokenLedgerBudgetForecastExhausted', exp_alerts: [forecast] },
      ],
    });
  });
});

describe('budget spend anomaly alert', () => {
  // A day at $12/h (1 USD per 5m), then $120/h from 25h05m. The even pace of a monthly limit of 10,000 is
  // $13.9/h, of 50,000 $69.4/h (the spike outpaces both), of 100,000 $138.9/h (it does not).
  const spike = '0+1x300 310+10x36';
  it("fires when the last hour runs at several times the day before's rate for 15m and outpaces the budget, not for steady spend or a budget it cannot exhaust", () => {
    const steady: BudgetLabels = { ...TEAM, subject: 'steady' };
    const large: BudgetLabels = { ...TEAM, subject: 'large' };
    const negligible: BudgetLabels = { ...TEAM, subject: 'negligible' };
    expectPasses({
      interval: '5m',
      input_series: [
        ...budgetSeries(TEAM, { limit: '10000x340', spent: spike }),
        ...budgetSeries(steady, { limit: '10000x340', spent: '0+10x337' }),
        ...budgetSeries(large, { limit: '50000x340', spent: spike }),
        ...budgetSeries(negligible, { limit: '100000x340', spent: spike }),
      ],
      alert_rule_test: [
        { eval_time: '25h10m', alertname: 'TokenLedgerBudgetSpendAnomaly', exp_alerts: [] },
        // the last hour's rate passes 4x the day before's at about 25h20m: still pending at 25h30m
        { eval_time: '25h30m', alertname: 'TokenLedgerBudgetSpendAnomaly', exp_alerts: [] },
        {
          eval_time: '26h',
          alertname: 'TokenLedgerBudgetSpendAnomaly',
          exp_alerts: [
            budgetAlert(
              'TokenLedgerBudgetSpendAnomaly',
              'warning',
              TEAM,
              'team engineering (monthly budget) is spending $120.00/h over the last hour, more than 4x its usual $12.00/h (the day before).'
            ),
            budgetAlert(
              'TokenLedgerBudgetSpendAnomaly',
              'warning',
              large,
              'team large (monthly budget) is spending $120.00/h over the last hour, more than 4x its usual $12.00/h (the day before).'
            ),
          ],
        },
      ],
    });
  });
});

describe('with three replicas sharing one ledger (identical budget gauges)', () => {
  /** How a Kubernetes scrape labels each replica: the fleet's job and namespace, the replica's instance, pod, node. */
  const FLEET = { job: 'tokenledger', namespace: 'llm' };
  const REPLICAS = [0, 1, 2].map((i) => ({
    ...FLEET,
    instance: `10.0.0.${i + 1}:9464`,
    pod: `tokenledger-${i}`,
    node: `gw-node-${i}`,
  }));
  const onEveryReplica = (b: BudgetLabels, v: Parameters<typeof budgetSeries>[1]) =>
    REPLICAS.flatMap((r) => budgetSeries(b, v, r));

  it('each threshold alert fires once per budget, not once per replica, even while a replica lags behind', () => {
    const spentSummary = (b: BudgetLabels, severity: string, percent: number) =>
      `${b.scope} ${b.subject} (${b.period} budget) has spent ${percent}% of its limit: $${percent}.00 of $100.00 (${severity} threshold ${{ warning: 80, critical: 95, exceeded: 100 }[severity]}%).`;
    const research: BudgetLabels = { ...TEAM, subject: 'research' };
    expectPasses({
      interval: '1m',
      input_series: [
        ...onEveryReplica(TEAM, { limit: '100x5', spent: '100x5' }),
        // the third replica has not refreshed its gauges yet: it still shows 79.9 %
        ...REPLICAS.slice(0, 2).flatMap((r) => budgetSeries(research, { limit: '100x5', spent: '80x5' }, r)),
        ...budgetSeries(research, { limit: '100x5', spent: '79.9x5' }, REPLICAS[2]),
      ],
      alert_rule_test: [
        {
          eval_time: '1m',
          alertname: 'TokenLedgerBudgetWarning',
          exp_alerts: [
            budgetAlert('TokenLedgerBudgetWarning', 'warning', TEAM, spentSummary(TEAM, 'warning', 100), FLEET),
            budgetAlert('TokenLedgerBudgetWarning', 'warning', research, spentSummary(research, 'warning', 80), FLEET),
          ],
        },
        ...(['critical', 'exceeded'] as const).map((severity) => ({
          eval_time: '1m',
          alertname: THRESHOLD_ALERT[severity],
          exp_alerts: [
            budgetAlert(THRESHOLD_ALERT[severity], severity, TEAM, spentSummary(TEAM, severity, 100), FLEET),
          ],
        })),
      ],
    });
  });

  it('the forecast alert fires once per budget, and a rolling restart of every replica does not restart its 30m', () => {
    // At 14m-15m a rolling update replaces the three pods by three new ones (new instance, pod and node).
    const replaced = [3, 4, 5].map((i) => ({
      ...FLEET,
      instance: `10.0.0.${i + 1}:9464`,
      pod: `tokenledger-${i}`,
      node: `gw-node-${i}`,
    }));
    expectPasses({
      interval: '1m',
      input_series: [
        ...onEveryReplica(TEAM, { limit: '100x15', spent: '10+1x15', projected: '120x15' }),
        ...replaced.flatMap((r) =>
          budgetSeries(TEAM, { limit: '_x14 100x26', spent: '_x14 24+1x26', projected: '_x14 120x26' }, r)
        ),
      ],
      alert_rule_test: [
        { eval_time: '29m', alertname: 'TokenLedgerBudgetForecastExhausted', exp_alerts: [] },
        {
          eval_time: '31m',
          alertname: 'TokenLedgerBudgetForecastExhausted',
          exp_alerts: [
            budgetAlert(
              'TokenLedgerBudgetForecastExhausted',
              'warning',
              TEAM,
              'At this burn rate team engineering (monthly budget) is exhausted before the period ends: projected $120.00 (120%) against a limit of $100.00; $41.00 spent so far.',
              FLEET
            ),
          ],
        },
      ],
    });
  });

  it('the anomaly alert fires once per budget, with the usual rate of the replicas that saw the whole day (not a replica started an hour ago)', () => {
    // As in the anomaly test above ($12/h for a day, then $120/h), on two replicas up all along and a third
    // started at 24h10m: its own day-before rate covers under an hour, so it alone would call steady spend a spike.
    const full = '0+1x300 310+10x36';
    const late = '_x290 290+1x10 310+10x36';
    expectPasses({
      interval: '5m',
      input_series: [
        ...REPLICAS.slice(0, 2).flatMap((r) => budgetSeries(TEAM, { limit: '10000x340', spent: full }, r)),
        ...budgetSeries(TEAM, { limit: '10000x340', spent: late }, REPLICAS[2]),
      ],
      alert_rule_test: [
        { eval_time: '25h10m', alertname: 'TokenLedgerBudgetSpendAnomaly', exp_alerts: [] },
        {
          eval_time: '26h',
          alertname: 'TokenLedgerBudgetSpendAnomaly',
          exp_alerts: [
            budgetAlert(
              'TokenLedgerBudgetSpendAnomaly',
              'warning',
              TEAM,
              'team engineering (monthly budget) is spending $120.00/h over the last hour, more than 4x its usual $12.00/h (the day before).',
              FLEET
            ),
          ],
        },
      ],
    });
  });
});

describe('the rule tests can fail', () => {
  it('reports a threshold alert expected 0.1 % too early', () => {
    const r = promtoolTest({
      interval: '1m',
      input_series: budgetSeries(TEAM, { limit: '100x2', spent: '79.9x2' }),
      alert_rule_test: [
        {
          eval_time: '1m',
          alertname: 'TokenLedgerBudgetWarning',
          exp_alerts: [budgetAlert('TokenLedgerBudgetWarning', 'warning', TEAM, 'any')],
        },
      ],
    });
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('TokenLedgerBudgetWarning');
  });
});

describe('budget blocking alert', () => {
  /** A replica's counter of enforcement decisions for one budget. */
  const decisions = (b: BudgetLabels, decision: string, instance: string, values: string): InputSeries => ({
    series: series('tokenledger_enforcement_decisions_total', { ...target, instance, decision, ...b }),
    values,
  });

  it('fires at the first refused request, summing the replicas, and not for allow or warn decisions', () => {
    const warnOnly: BudgetLabels = { ...TEAM, subject: 'research' };
    expectPasses({
      interval: '1m',
      input_series: [
        ...budgetSeries(TEAM, { limit: '100x20', spent: '101x20' }),
        ...budgetSeries(warnOnly, { limit: '100x20', spent: '150x20' }),
        // Two replicas: each refuses requests from minute 3 on; one of them restarts (its counter resets).
        decisions(TEAM, 'block', 'exporter-a:9464', '0 0 0 2 4 6 8 10 0 2 4 6 8 10 12 14 16 18 20 22 24'),
        decisions(TEAM, 'block', 'exporter-b:9464', '0 0 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18'),
        decisions(TEAM, 'allow', 'exporter-a:9464', '0+10x20'),
        decisions(warnOnly, 'warn', 'exporter-a:9464', '0+10x20'),
        decisions(warnOnly, 'block', 'exporter-a:9464', '0x20'),
      ],
      alert_rule_test: [
        { eval_time: '2m', alertname: 'TokenLedgerBudgetBlocking', exp_alerts: [] },
        {
          eval_time: '10m',
          alertname: 'TokenLedgerBudgetBlocking',
          exp_alerts: [
            budgetAlert(
              'TokenLedgerBudgetBlocking',
              'critical',
              TEAM,
              // increase() over (5m, 10m]: replica a 8 10 0 2 4 is 6 over 4 minutes (the reset counts from 0),
              // b 4..8 is 4; both extrapolated to the 5-minute window, 7.5 + 5 = 12.5, printed rounded
              'team engineering (monthly budget) is refusing requests: 13 blocked in the last 5 minutes ($101.00 spent of $100.00).'
            ),
          ],
        },
      ],
    });
  });

  it('resolves once a budget has refused nothing for 5 minutes', () => {
    expectPasses({
      interval: '1m',
      input_series: [
        ...budgetSeries(TEAM, { limit: '100x20', spent: '50x20' }),
        decisions(TEAM, 'block', 'exporter-a:9464', '0 1 2 3 3x16'),
      ],
      alert_rule_test: [
        {
          eval_time: '3m',
          alertname: 'TokenLedgerBudgetBlocking',
          exp_alerts: [
            budgetAlert(
              'TokenLedgerBudgetBlocking',
              'critical',
              TEAM,
              // a counter that starts at 0 is not extrapolated below its first sample: 0 to 3 is 3
              'team engineering (monthly budget) is refusing requests: 3 blocked in the last 5 minutes ($50.00 spent of $100.00).'
            ),
          ],
        },
        { eval_time: '12m', alertname: 'TokenLedgerBudgetBlocking', exp_alerts: [] },
      ],
    });
  });
});
