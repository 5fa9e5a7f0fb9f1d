/**
 * Every PromQL expression of every dashboard (panels and variables), with the variables set to "All" and to one
 * value, against a real Prometheus scraping a real `tokenledger serve` on the demo logs plus requests appended
 * after the first scrape. Each must run and return data: at least one series with a finite value.
 */
import { Dashboard, loadDashboards, panelQueries, variableQueryText } from './test/dashboardFiles';
import { DemoStack, FRESH } from './test/demoStack';
import { labelValuesQuery, Selection, substitute } from './test/promql';

jest.setTimeout(180_000);

const JOB = 'tokenledger'; // the job name of the test Prometheus (exporter/test/daemons.ts)
const ONE: Readonly<Record<string, string>> = { ...FRESH, job: JOB };
const SELECTIONS: Selection[] = ['all', 'one'];
const isPrometheus = (d: Dashboard) => d.templating.list.some((v) => v.name === 'datasource' && v.query === 'prometheus');
const dashboards = loadDashboards()
  .map((f) => f.dashboard)
  .filter(isPrometheus);

const cases = dashboards.flatMap((d) =>
  SELECTIONS.flatMap((selection) => [
    ...panelQueries(d)
      .filter((q) => typeof q.target.expr === 'string')
      .map((q) => ({ name: `${d.uid} [${selection}] "${q.panel.title}" ${q.target.refId}`, expr: substitute(q.target.expr as string, d, selection, ONE) })),
  ]),
);
const variableCases = dashboards.flatMap((d) =>
  SELECTIONS.flatMap((selection) =>
    d.templating.list
      .filter((v) => v.type === 'query' && v.datasource?.type === 'prometheus')
      .map((v) => ({ name: `${d.uid} [${selection}] variable ${v.name}`, variable: v.name, ...labelValuesQuery(substitute(variableQueryText(v), d, selection, ONE)) })),
  ),
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
    expect(dashboards.map((d) => d.uid).sort()).toEqual(['tokenledger-budgets', 'tokenledger-exporter-health', 'tokenledger-overview']);
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
