/**
 * The dashboards with several TokenLedger replicas: three `tokenledger serve` on copies of the same demo, so they
 * export the same budget gauges (as replicas sharing one ledger do), scraped as three targets of job `tokenledger`.
 * Budgets show each budget once, with the replica labels the alerting rules drop; usage totals are the sum of what
 * each replica counts.
 */
import { REPLICA_LABELS } from '../alerting/src/replicas';
import { dashboardByUid, panelQueries } from './test/dashboardFiles';
import { DemoStack, FRESH } from './test/demoStack';
import { Selection, substitute } from './test/promql';

jest.setTimeout(240_000);

const REPLICAS = 3;
const ONE: Readonly<Record<string, string>> = { ...FRESH, job: 'tokenledger' };
const SELECTIONS: Selection[] = ['all', 'one'];
/** Where each budgets query's own part ends and its filter on the user, team, tier and API key variables begins. */
const BUDGET_FILTER = ' unless on (scope, subject) (';
const DEDUPLICATED = `max without (${REPLICA_LABELS.join(', ')}) (`;

const budgets = dashboardByUid('tokenledger-budgets');
const overview = dashboardByUid('tokenledger-overview');
const queriesOf = (enforcement: boolean) =>
  panelQueries(budgets)
    .filter((q) => typeof q.target.expr === 'string')
    .filter((q) => (q.target.expr as string).includes('tokenledger_enforcement_') === enforcement)
    .map((q) => ({ name: `"${q.panel.title}" ${q.target.refId}`, expr: q.target.expr as string }));
/** Queries of the budget gauges, which every replica exports alike (read from the shared ledger). */
const budgetQueries = queriesOf(false);
/** Queries of the enforcement metrics, which each replica counts for its own decisions: summed, not deduplicated. */
const enforcementQueries = queriesOf(true);

let stack: DemoStack;
let at: number;

beforeAll(async () => {
  stack = await DemoStack.start(REPLICAS);
  at = await stack.appendFresh();
});

afterAll(async () => {
  await stack?.stop();
});

describe('budgets dashboard with three replicas', () => {
  it('the test Prometheus scrapes three replicas exporting the same budgets', async () => {
    const perBudget = await stack.prometheus.query(
      'count by (scope, subject, period) (tokenledger_budget_limit_usd)',
      at
    );
    expect(perBudget.length).toBeGreaterThanOrEqual(5);
    for (const s of perBudget) expect(s.value[1]).toBe(String(REPLICAS));
    expect(budgetQueries.length).toBeGreaterThanOrEqual(12);
  });

  it.each(budgetQueries)(
    '$name reads every budget gauge through max without the replica labels of alerting/src/replicas.ts',
    ({ expr }) => {
      const own = expr.slice(0, expr.indexOf(BUDGET_FILTER));
      const gauges = [...own.matchAll(/tokenledger_budget_\w+\{/g)];
      expect(gauges.length).toBeGreaterThan(0);
      for (const g of gauges) expect(own.slice(0, g.index)).toMatch(new RegExp(`${escape(DEDUPLICATED)}$`));
    }
  );

  it.each(SELECTIONS.flatMap((selection) => budgetQueries.map((q) => ({ ...q, selection }))))(
    '$name [$selection] shows each budget once, without replica labels',
    async ({ expr, selection }) => {
      const result = await stack.prometheus.query(substitute(expr, budgets, selection, ONE), at);
      expect(result.length).toBeGreaterThan(0);
      const keys = result.map((s) => ['scope', 'subject', 'period', 'severity'].map((l) => s.metric[l]).join(' '));
      expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
      const replicaLabels = result.flatMap((s) => REPLICA_LABELS.filter((l) => s.metric[l] !== undefined));
      expect(replicaLabels).toEqual([]);
    }
  );

  it.each(SELECTIONS.flatMap((selection) => enforcementQueries.map((q) => ({ ...q, selection }))))(
    '$name [$selection] sums the replicas: each budget (and decision) once, without replica labels',
    async ({ expr, selection }) => {
      expect(expr).toMatch(/^sum by \(/);
      const result = await stack.prometheus.query(substitute(expr, budgets, selection, ONE), at);
      expect(result.length).toBeGreaterThan(0);
      const keys = result.map((s) => ['decision', 'scope', 'subject', 'period'].map((l) => s.metric[l]).join(' '));
      expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
      const replicaLabels = result.flatMap((s) => REPLICA_LABELS.filter((l) => s.metric[l] !== undefined));
      expect(replicaLabels).toEqual([]);
    }
  );

  it('the budgets table has one row per budget of the fleet', async () => {
    const table = budgetQueries.find((q) => q.name === '"Budgets" A')!;
    const rows = await stack.prometheus.query(substitute(table.expr, budgets, 'all', ONE), at);
    const budgetCount = await stack.prometheus.query(
      'count(count by (scope, subject, period) (tokenledger_budget_limit_usd))',
      at
    );
    expect(rows.length).toBe(Number(budgetCount[0]!.value[1]));
  });
});

describe('overview totals with three replicas', () => {
  it.each([
    { title: 'Requests', metric: 'tokenledger_requests_total' },
    { title: 'Tokens', metric: 'tokenledger_tokens_total' },
    { title: 'Estimated cost', metric: 'tokenledger_cost_usd_total' },
  ])('"$title" is the sum of what each replica counts ($metric)', async ({ title, metric }) => {
    const query = panelQueries(overview).find((q) => q.panel.title === title)!;
    const [stat] = await stack.prometheus.query(substitute(query.target.expr!, overview, 'all', ONE), at);
    let sum = 0;
    for (const serve of stack.serves) sum += await serve.metricSum(metric);
    expect(sum).toBeGreaterThan(0);
    expect(Number(stat!.value[1])).toBeCloseTo(sum, 6);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
