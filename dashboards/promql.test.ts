/**
 * Every PromQL expression of every dashboard (panels and variables), with the variables set to "All" and to one
 * value, against a real Prometheus scraping a real `tokenledger serve` on the demo logs plus requests appended
 * after the first scrape. Each must run and return data: at least one series with a finite value.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allPanels, Dashboard, loadDashboards, panelQueries, variable, variableQueryText } from './test/dashboardFiles';
import { API_KEY_BUDGET, DemoStack, FRESH } from './test/demoStack';
import { linkUses, variableMeaning } from './test/links';
import { escapeRegexValue, labelValuesQuery, Selection, substitute } from './test/promql';
import { REPO } from './test/provisioning';

jest.setTimeout(180_000);

const JOB = 'tokenledger'; // the job name of the test Prometheus (exporter/test/daemons.ts)
const ONE: Readonly<Record<string, string>> = { ...FRESH, job: JOB };
const SELECTIONS: Selection[] = ['all', 'one'];
const isPrometheus = (d: Dashboard) =>
  d.templating.list.some((v) => v.name === 'datasource' && v.query === 'prometheus');
const dashboards = loadDashboards()
  .map((f) => f.dashboard)
  .filter(isPrometheus);

const cases = dashboards.flatMap((d) =>
  SELECTIONS.flatMap((selection) => [
    ...panelQueries(d)
      .filter((q) => typeof q.target.expr === 'string')
      .map((q) => ({
        name: `${d.uid} [${selection}] "${q.panel.title}" ${q.target.refId}`,
        expr: substitute(q.target.expr as string, d, selection, ONE),
      })),
  ])
);
const variableCases = dashboards.flatMap((d) =>
  SELECTIONS.flatMap((selection) =>
    d.templating.list
      .filter((v) => v.type === 'query' && v.datasource?.type === 'prometheus')
      .map((v) => ({
        name: `${d.uid} [${selection}] variable ${v.name}`,
        variable: v.name,
        ...labelValuesQuery(substitute(variableQueryText(v), d, selection, ONE)),
      }))
  )
);

/** The exporter's budget scopes (BUDGET_SCOPES in exporter/src/budgets/budgets.ts), read from its source. */
const BUDGET_SCOPES = (() => {
  const source = readFileSync(join(REPO, 'exporter/src/budgets/budgets.ts'), 'utf8');
  const m = /BUDGET_SCOPES\b[^=]*=\s*\[([^\]]*)\]/.exec(source);
  if (!m) throw new Error('BUDGET_SCOPES not found in exporter/src/budgets/budgets.ts');
  return [...m[1]!.matchAll(/'(\w+)'/g)].map((x) => x[1]!);
})();
/** The budgets dashboard's filters of one budget scope each: the variable, and the scope whose subjects it filters. */
const BUDGET_FILTERS = [
  { variable: 'user', scope: 'user' },
  { variable: 'team', scope: 'team' },
  { variable: 'tier', scope: 'tier' },
  { variable: 'api_key', scope: 'apiKey' },
];
const budgets = dashboards.find((d) => d.uid === 'tokenledger-budgets')!;
const overview = dashboards.find((d) => d.uid === 'tokenledger-overview')!;
const queriesOf = (enforcement: boolean) =>
  panelQueries(budgets)
    .filter((q) => typeof q.target.expr === 'string')
    .filter((q) => (q.target.expr as string).includes('tokenledger_enforcement_') === enforcement)
    .map((q) => ({ name: `"${q.panel.title}" ${q.target.refId}`, expr: q.target.expr as string }));
/** Queries of every budget; the enforcement panels show only budgets that enforce (the demo's API key budget). */
const budgetQueries = queriesOf(false);
const enforcementQueries = queriesOf(true);
/** Every variable of a dashboard All, but `name` set to `regex`. */
const allBut = (d: Dashboard, name: string, regex: string) =>
  Object.fromEntries(
    d.templating.list
      .filter((v) => v.allValue !== undefined)
      .map((v) => [v.name, v.name === name ? regex : v.allValue!])
  );

let stack: DemoStack;
let at: number;

beforeAll(async () => {
  stack = await DemoStack.start();
  at = await stack.appendFresh();
});

afterAll(async () => {
  await stack?.stop();
});

describe('PromQL of the dashboards on the demo data', () => {
  it('covers every Prometheus dashboard and panel query', () => {
    expect(dashboards.map((d) => d.uid).sort()).toEqual([
      'tokenledger-budgets',
      'tokenledger-exporter-health',
      'tokenledger-overview',
    ]);
    expect(cases.length).toBeGreaterThan(60);
  });

  it.each(cases)('$name returns data', async ({ expr }) => {
    const result = await stack.prometheus.query(expr, at);
    expect({ expr, series: result.length > 0 }).toEqual({ expr, series: true });
    const finite = result.filter((s) => Number.isFinite(Number(s.value[1])));
    expect({ expr, finite: finite.length > 0 }).toEqual({ expr, finite: true });
  });

  it.each(variableCases)('$name lists values, the test value among them', async ({ expr, label, variable }) => {
    const values = (await stack.prometheus.query(expr, at)).map((s) => s.metric[label]);
    expect(values.length).toBeGreaterThan(0);
    expect(values).toContain(ONE[variable]);
  });
});

describe('budget filters and the budget subject link, on the demo budgets (one of every scope)', () => {
  it('the test Prometheus has a budget of every scope the exporter knows', async () => {
    expect(BUDGET_SCOPES).toEqual(expect.arrayContaining(['user', 'apiKey', 'team', 'tier', 'global']));
    const scopes = (await stack.prometheus.query('count by (scope) (tokenledger_budget_limit_usd)', at)).map(
      (s) => s.metric['scope']
    );
    expect(scopes.sort()).toEqual([...BUDGET_SCOPES].sort());
  });

  it('each budget panel query is filtered', () => {
    expect(budgetQueries.length).toBeGreaterThanOrEqual(12);
  });

  it.each(BUDGET_FILTERS.flatMap((f) => budgetQueries.map((q) => ({ ...f, ...q }))))(
    '$variable set to a value no budget has hides the $scope budgets only: $name',
    async ({ variable: name, scope, expr }) => {
      const all = (await stack.prometheus.query(substitute(expr, budgets, 'all', ONE), at)).map(
        (s) => s.metric['scope']
      );
      expect(all).toContain(scope);
      const filtered = (
        await stack.prometheus.query(
          substitute(expr, budgets, 'all', ONE, allBut(budgets, name, escapeRegexValue('nobody@nowhere'))),
          at
        )
      ).map((s) => s.metric['scope']);
      expect(filtered).not.toContain(scope);
      expect([...new Set(filtered)].sort()).toEqual([...new Set(all)].filter((x) => x !== scope).sort());
    }
  );

  it.each(
    BUDGET_FILTERS.filter((f) => ['user', 'apiKey'].includes(f.scope)).flatMap((f) =>
      enforcementQueries.map((q) => ({ ...f, ...q }))
    )
  )(
    '$name shows the enforced $scope budget, hidden when $variable names nobody',
    async ({ variable: name, scope, expr }) => {
      const scopes = async (vars?: Record<string, string>) =>
        (await stack.prometheus.query(substitute(expr, budgets, 'all', ONE, vars), at)).map((s) => s.metric['scope']);
      expect(await scopes()).toContain(scope);
      const filtered = await scopes(allBut(budgets, name, escapeRegexValue('nobody@nowhere')));
      expect(filtered).not.toContain(scope);
      expect(filtered.length).toBeGreaterThan(0);
    }
  );

  it.each(BUDGET_FILTERS)(
    '$variable set to the subject of the $scope budget keeps it',
    async ({ variable: name, scope }) => {
      const subject = (await stack.prometheus.query(`tokenledger_budget_limit_usd{scope="${scope}"}`, at))[0]!.metric[
        'subject'
      ]!;
      for (const { expr } of budgetQueries) {
        const result = await stack.prometheus.query(
          substitute(expr, budgets, 'all', ONE, allBut(budgets, name, escapeRegexValue(subject))),
          at
        );
        expect({
          expr,
          kept: result.some((s) => s.metric['scope'] === scope && s.metric['subject'] === subject),
        }).toEqual({ expr, kept: true });
      }
    }
  );

  it("a budget's subject opens the overview filtered on the budget's own dimension (apiKey: api_key, global: all)", async () => {
    const link = linkUses(loadDashboards().map((f) => f.dashboard)).find((u) =>
      u.where.startsWith('panel "Budgets" data link')
    )!;
    expect(link.target.uid).toBe('tokenledger-overview');
    const panel = allPanels(budgets).find((p) => p.title === 'Budgets')!;
    const url = (JSON.stringify(panel.fieldConfig).match(/"url":"([^"]+)"/) ?? [])[1]!;
    const table = panel.targets!.find((t) => t.refId === 'A')!;
    const rows = await stack.prometheus.query(substitute(table.expr!, budgets, 'all', ONE), at);
    // The table's fields: the query's labels, also under the names the organize transformation gives them.
    const renames = (
      (
        panel as unknown as {
          transformations?: Array<{ id: string; options: { renameByName?: Record<string, string> } }>;
        }
      ).transformations ?? []
    ).flatMap((t) => Object.entries(t.id === 'organize' ? (t.options.renameByName ?? {}) : {}));
    const opened = rows.map((row) => {
      const fields: Record<string, string> = { ...row.metric };
      for (const [from, to] of renames) if (row.metric[from] !== undefined) fields[to] = row.metric[from]!;
      // What Grafana does with the row: fields by name, the clicked subject, values URL-encoded; then the URL decoded.
      const href = url
        .replace(/\$\{__data\.fields\.(\w+)\}/g, (_m, field: string) => encodeURIComponent(fields[field] ?? ''))
        .replace('${__value.raw}', encodeURIComponent(row.metric['subject']!))
        .replace('${__url_time_range}', 'from=now-6h&to=now')
        .replace('${datasource:queryparam}', 'var-datasource=tokenledger-prometheus');
      const params = new URLSearchParams(href.slice(href.indexOf('?') + 1));
      const vars = [...params.entries()]
        .filter(([k]) => k.startsWith('var-'))
        .map(([k, v]) => [k.slice(4), v] as const);
      return { scope: row.metric['scope']!, subject: row.metric['subject']!, vars };
    });
    expect(opened.map((o) => o.scope).sort()).toEqual([...BUDGET_SCOPES].sort());
    const expected: Record<string, string> = {
      user: 'user',
      team: 'team',
      tier: 'tier',
      apiKey: 'api_key',
      global: 'user',
    };
    for (const { scope, subject, vars } of opened) {
      const filter = vars.filter(([k]) => k !== 'datasource');
      expect({ scope, filter }).toEqual({
        scope,
        filter: [[expected[scope], scope === 'global' ? '$__all' : subject]],
      });
      for (const [name] of vars) {
        const target = variable(overview, name);
        const source = name === 'datasource' ? variable(budgets, 'datasource') : undefined;
        if (source) expect(variableMeaning(target)).toBe(variableMeaning(source));
        else expect(variableMeaning(target)).toBe(`dimension:${expected[scope]}`);
      }
    }
    expect(opened.find((o) => o.scope === 'apiKey')!.vars).toContainEqual(['api_key', API_KEY_BUDGET.subject]);
  });
});
