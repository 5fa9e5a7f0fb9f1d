import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { Daemon, freePort, Prometheus, requireBinary } from '../../exporter/test/daemons';
import { litellmLine, requireBuiltCli, ServeProcess, TEST_PRICES, tempDir, waitFor } from '../../exporter/test/helpers';
import { GENERATED_PATHS } from '../src/generatedFiles';
import { ALERTMANAGER_CONFIG } from './amtool';
import { RULE_FILE } from './promtool';
import { WebhookReceiver } from './webhookReceiver';

/**
 * The real thing: `tokenledger serve` on a log the test appends to, a real Prometheus scraping it with the
 * committed rules, a real Alertmanager with the example routing and inhibition (receivers pointed at a
 * webhook this test runs). Alice's budget is pushed over 80, 95 and 100 %; Bob's overrides its thresholds.
 */

const ALICE = { scope: 'user', subject: 'alice@example.com', period: 'monthly' };
const BOB = { scope: 'user', subject: 'bob@example.com', period: 'monthly' };
const CONFIG = `ledger: ledger.duckdb
prices: prices.yaml
listen: 127.0.0.1:0
poll_interval_ms: 50
sources:
  - { name: gw, paths: gw.log, format: litellm }
budgets:
  - { scope: user, subject: alice@example.com, period: monthly, limit_usd: 10 }
  - { scope: user, subject: bob@example.com, period: monthly, limit_usd: 10, thresholds: [0.5, 0.6, 0.7] }
  - { scope: global, period: monthly, limit_usd: 0 }
`;
// gpt-4o input costs $2.50 per 1M tokens in TEST_PRICES: 400,000 uncached input tokens are exactly $1.
const TOKENS_PER_USD = 400_000;
const WAIT_MS = 30_000;

let lineNo = 0;
/** A LiteLLM line for `user` costing exactly `usd`, started now (budgets count the current period). */
function spendLine(user: string, usd: number): string {
  const base = JSON.parse(litellmLine(lineNo++, { user, model: 'gpt-4o', idPrefix: 'alerting' })) as {
    metadata: Record<string, unknown>;
  };
  const prompt = usd * TOKENS_PER_USD;
  const now = Date.now() / 1000;
  const usage = { prompt_tokens: prompt, completion_tokens: 0, prompt_tokens_details: { cached_tokens: 0 } };
  return `${JSON.stringify({ ...base, status: 'success', startTime: now, endTime: now + 1, prompt_tokens: prompt, completion_tokens: 0, metadata: { ...base.metadata, usage_object: usage } })}\n`;
}

/** The example Alertmanager config with every receiver replaced by the test's webhook and short group timers. */
function testAlertmanagerConfig(webhookUrl: string): string {
  const config = parse(readFileSync(ALERTMANAGER_CONFIG, 'utf8')) as {
    route: Record<string, unknown>;
    receivers: { name: string }[];
  };
  config.receivers = config.receivers.map((r) => ({
    name: r.name,
    webhook_configs: [{ url: webhookUrl, send_resolved: false }],
  }));
  Object.assign(config.route, { group_wait: '2s', group_interval: '1s' });
  return stringify(config);
}

interface AlertmanagerAlert {
  labels: Record<string, string>;
  status: { state: string; inhibitedBy: string[] };
}

describe('budget alerts through real Prometheus and Alertmanager', () => {
  let dir: string;
  let serve: ServeProcess | undefined;
  let webhook: WebhookReceiver | undefined;
  let alertmanager: Daemon | undefined;
  let prometheus: Prometheus | undefined;

  const spend = (user: string, usd: number) => appendFileSync(join(dir, 'gw.log'), spendLine(user, usd));
  const received = (alertname: string, budget: Record<string, string>) =>
    waitFor(
      `${alertname} for ${budget.subject} at the webhook`,
      () => webhook!.find({ alertname, ...budget }),
      WAIT_MS,
      100
    );
  const amAlerts = async (budget: Record<string, string>): Promise<AlertmanagerAlert[]> => {
    const filter = Object.entries(budget)
      .map(([k, v]) => `filter=${encodeURIComponent(`${k}="${v}"`)}`)
      .join('&');
    return (await fetch(`${alertmanager!.url}/api/v2/alerts?${filter}`)).json() as Promise<AlertmanagerAlert[]>;
  };
  /** Waits until Alertmanager holds exactly these alert names for the budget, each active or suppressed. */
  const amStates = (budget: Record<string, string>, expected: Record<string, 'active' | 'suppressed'>) =>
    waitFor(
      `Alertmanager states ${JSON.stringify(expected)} for ${budget.subject}`,
      async () => {
        const states = Object.fromEntries((await amAlerts(budget)).map((a) => [a.labels.alertname, a.status.state]));
        return JSON.stringify(states, Object.keys(states).sort()) ===
          JSON.stringify(expected, Object.keys(expected).sort())
          ? states
          : undefined;
      },
      WAIT_MS,
      200
    );

  beforeAll(async () => {
    requireBuiltCli();
    requireBinary('prometheus-alertmanager', 'prometheus-alertmanager');
    dir = tempDir('tl-alerting-e2e-');
    writeFileSync(join(dir, 'prices.yaml'), TEST_PRICES);
    writeFileSync(join(dir, 'gw.log'), '');
    writeFileSync(join(dir, 'tokenledger.yaml'), CONFIG);
    serve = await ServeProcess.start(join(dir, 'tokenledger.yaml'));
    webhook = await WebhookReceiver.start();
    writeFileSync(join(dir, 'alertmanager.yml'), testAlertmanagerConfig(webhook.url));
    const amPort = await freePort();
    alertmanager = await Daemon.start(
      'alertmanager',
      'prometheus-alertmanager',
      [
        `--config.file=${join(dir, 'alertmanager.yml')}`,
        `--storage.path=${join(dir, 'alertmanager')}`,
        `--web.listen-address=127.0.0.1:${amPort}`,
        '--cluster.listen-address=',
      ],
      `http://127.0.0.1:${amPort}`,
      '/-/ready'
    );
    prometheus = await Prometheus.start({
      targets: [new URL(serve.baseUrl).host],
      ruleFiles: [RULE_FILE],
      alertmanager: `127.0.0.1:${amPort}`,
      interval: '1s',
    });
    await prometheus.waitForTargetsUp();
  }, 90_000);

  afterAll(async () => {
    await prometheus?.stop();
    await alertmanager?.stop();
    await serve?.stop();
    await webhook?.stop();
  });

  it('80 %: the warning reaches the email route with the budget labels, summary and links', async () => {
    spend(ALICE.subject, 8);
    spend(BOB.subject, 6);
    const warning = await received('TokenLedgerBudgetWarning', ALICE);
    expect(warning.receiver).toBe('tokenledger-email');
    expect(warning.labels).toEqual({
      alertname: 'TokenLedgerBudgetWarning',
      ...ALICE,
      severity: 'warning',
      component: 'budget',
      // deduplicated across replicas: the budget's labels and its job, not the exporter's instance
      job: 'tokenledger',
    });
    expect(warning.annotations.summary).toBe(
      'user alice@example.com (monthly budget) has spent 80% of its limit: $8.00 of $10.00 (warning threshold 80%).'
    );
    expect(warning.annotations.dashboard_url).toBe(
      'http://localhost:3000/d/tokenledger-budgets/tokenledger-budgets?var-scope=user&var-subject=alice%40example.com'
    );
    expect(warning.annotations.runbook_url).toMatch(/\/alerting\/runbooks\/TokenLedgerBudgetWarning\.md$/);
    expect(
      await prometheus!.query('ALERTS{alertname="TokenLedgerBudgetCritical",subject="alice@example.com"}')
    ).toEqual([]);
  });

  it('95 %: the critical alert reaches the Slack route and inhibits the warning', async () => {
    spend(ALICE.subject, 1.5);
    const critical = await received('TokenLedgerBudgetCritical', ALICE);
    expect(critical.receiver).toBe('tokenledger-slack');
    expect(critical.labels).toMatchObject({ ...ALICE, severity: 'critical' });
    expect(critical.annotations.summary).toContain('has spent 95% of its limit: $9.50 of $10.00');
    await amStates(ALICE, { TokenLedgerBudgetWarning: 'suppressed', TokenLedgerBudgetCritical: 'active' });
  });

  it('100 %: the exceeded alert reaches the on-call webhook route and inhibits 95 % and 80 %', async () => {
    spend(ALICE.subject, 0.5);
    const exceeded = await received('TokenLedgerBudgetExceeded', ALICE);
    expect(exceeded.receiver).toBe('tokenledger-oncall');
    expect(exceeded.labels).toMatchObject({ ...ALICE, severity: 'exceeded' });
    expect(exceeded.annotations.summary).toContain('has spent 100% of its limit: $10.00 of $10.00');
    await amStates(ALICE, {
      TokenLedgerBudgetWarning: 'suppressed',
      TokenLedgerBudgetCritical: 'suppressed',
      TokenLedgerBudgetExceeded: 'active',
    });
    const inhibitors = (await amAlerts(ALICE))
      .filter((a) => a.status.state === 'suppressed')
      .map((a) => a.status.inhibitedBy.length);
    expect(inhibitors).toEqual([1, 1]);
  });

  it("a budget's own thresholds: Bob is critical at 60 %, and his warning, inhibited from the start, was never sent", async () => {
    const critical = await received('TokenLedgerBudgetCritical', BOB);
    expect(critical.annotations.summary).toBe(
      'user bob@example.com (monthly budget) has spent 60% of its limit: $6.00 of $10.00 (critical threshold 60%).'
    );
    await amStates(BOB, { TokenLedgerBudgetWarning: 'suppressed', TokenLedgerBudgetCritical: 'active' });
    expect(webhook!.find({ alertname: 'TokenLedgerBudgetWarning', ...BOB })).toBeUndefined();
  });

  it('the zero-limit global budget never alerts', () => {
    expect(webhook!.alerts.length).toBeGreaterThanOrEqual(4);
    expect(webhook!.alerts.filter((a) => a.labels.scope === 'global')).toEqual([]);
  });

  it("the Grafana-managed rules' queries select the same budgets from the same Prometheus", async () => {
    const provisioned = parse(readFileSync(join(__dirname, '../..', GENERATED_PATHS.grafanaRules), 'utf8')) as {
      groups: { rules: { title: string; data: { refId: string; model: { expr?: string } }[] }[] }[];
    };
    const subjects = async (title: string) => {
      const rule = provisioned.groups.flatMap((g) => g.rules).find((r) => r.title === title)!;
      const result = await prometheus!.query(rule.data.find((q) => q.refId === 'A')!.model.expr!);
      return result.map((s) => s.metric.subject).sort();
    };
    expect(await subjects('TokenLedgerBudgetWarning')).toEqual([ALICE.subject, BOB.subject]);
    expect(await subjects('TokenLedgerBudgetCritical')).toEqual([ALICE.subject, BOB.subject]);
    expect(await subjects('TokenLedgerBudgetExceeded')).toEqual([ALICE.subject]);
  });
});
