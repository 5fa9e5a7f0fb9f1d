/**
 * @jest-environment jsdom
 * @jest-environment-options {"customExportConditions": ["node", "require", "default"]}
 */
/**
 * Every chargeback query of every dashboard (panels, annotations, variables), with the variables set to "All"
 * and to one value, through the datasource plugin's real DataSource against a real `tokenledger serve` on the
 * demo logs, with the panel's own time range. Each must return frames with rows. Besides the demo logs (January
 * 2025) the ledger holds requests from now and from the previous month, since the dashboard opens on "this
 * month" and compares it with the previous one; one large request crosses alice's budget warning threshold.
 *
 * The jsdom environment is what @grafana/ui (imported by the plugin's variable editor) needs to load; the node
 * export conditions keep `yaml` (used by the demo config) on its CommonJS build instead of the browser one.
 */
import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { DataFrame, dateTime } from '@grafana/data';
import { lastValueFrom } from 'rxjs';
import type { FakeVariable } from '../datasource-plugin/src/__fixtures__/templateSrv';
import type { ChargebackQuery, VariableQuery } from '../datasource-plugin/src/types';
import type { ChargebackVariableSupport } from '../datasource-plugin/src/variables';
import { httpGet } from '../datasource-plugin/tests/grafanaProxy';
import { requireBuiltCli, ServeProcess, tempDir, waitFor } from '../exporter/test/helpers';
import {
  annotationQueries,
  Dashboard,
  loadDashboards,
  panelQueries,
  resolveDataSource,
  Variable,
} from './test/dashboardFiles';
import { demoLog, FRESH, freshLine, freshLines, writeDemoConfig } from './test/demoStack';
import { chargebackDataSource, dataRequest, installRuntime, panelRange } from './test/grafanaRuntime';
import { provisionedDataSources } from './test/provisioning';

jest.setTimeout(120_000);

const TYPE = 'tokenledger-chargeback-datasource';
const TOKEN = 'dashboards-test-token-0123456789';
const NOW = dateTime();
const monthStartMs = Date.UTC(NOW.toDate().getUTCFullYear(), NOW.toDate().getUTCMonth(), 1);
const CURRENT_MS = Math.max(monthStartMs + 1000, NOW.valueOf() - 60_000);
const PREVIOUS_MONTH_MS = Date.UTC(NOW.toDate().getUTCFullYear(), NOW.toDate().getUTCMonth() - 1, 15, 12);
type Selection = 'all' | 'one';
const ONE: Record<string, string> = FRESH;

const dashboards = loadDashboards().map((f) => f.dashboard);
const provisioned = provisionedDataSources().find((ds) => ds.type === TYPE)!;
const usesChargeback = (d: Dashboard, ref: Parameters<typeof resolveDataSource>[1]) =>
  resolveDataSource(d, ref)?.type === TYPE;

const queryCases = dashboards.flatMap((d) =>
  (['all', 'one'] as Selection[]).flatMap((selection) => [
    ...panelQueries(d)
      .filter((q) => usesChargeback(d, q.datasource))
      .map((q) => ({
        name: `${d.uid} [${selection}] "${q.panel.title}" ${q.target.refId}`,
        d,
        selection,
        panel: q.panel,
        target: q.target as unknown as ChargebackQuery,
      })),
    ...annotationQueries(d)
      .filter((a) => usesChargeback(d, a.datasource))
      .map((a) => ({
        name: `${d.uid} [${selection}] annotation "${a.annotation.name}"`,
        d,
        selection,
        panel: undefined,
        target: a.target as unknown as ChargebackQuery,
      })),
  ])
);
const variableCases = dashboards.flatMap((d) =>
  d.templating.list
    .filter((v) => v.type === 'query' && usesChargeback(d, v.datasource))
    .map((v) => ({ name: `${d.uid} variable ${v.name}`, d, v }))
);

/** The dashboard's filter variables set to All or to the FRESH value, for the fake TemplateSrv. */
function templateVariables(d: Dashboard, selection: Selection): FakeVariable[] {
  return d.templating.list
    .filter((v: Variable) => v.type === 'query')
    .map((v) => ({ name: v.name, value: selection === 'all' ? '$__all' : [oneValue(v.name)], options: [] }));
}

function oneValue(name: string): string {
  const value = ONE[name];
  if (value === undefined) throw new Error(`no test value for variable ${name}`);
  return value;
}

let serve: ServeProcess | undefined;

beforeAll(async () => {
  requireBuiltCli();
  const dir = tempDir('tl-dashboards-chargeback-');
  const big = freshLine(300, CURRENT_MS, { promptTokens: 12_000_000 }); // $30 of gpt-4o: alice's weekly budget passes 50 %
  const config = writeDemoConfig(dir, {
    auth: { tokens: [{ name: 'grafana', sha256: createHash('sha256').update(TOKEN).digest('hex'), role: 'admin' }] },
  });
  appendFileSync(demoLog(dir), `${[...freshLines(CURRENT_MS), ...freshLines(PREVIOUS_MONTH_MS), big].join('\n')}\n`);
  serve = await ServeProcess.start(config);
  const expected = 1500 + 2 * freshLines(0).length + 1;
  await waitFor(
    'the demo and fresh lines to be in the ledger',
    async () => {
      const status = await httpGet(`${serve!.baseUrl}/api/v1/status`, { Authorization: `Bearer ${TOKEN}` });
      return (JSON.parse(status.body) as { records: number }).records >= expected ? true : undefined;
    },
    60_000,
    200
  );
});

afterAll(async () => {
  await serve?.stop();
});

function dataSource() {
  const settings = { uid: provisioned.uid, jsonData: { url: serve!.baseUrl }, secureJsonData: { apiToken: TOKEN } };
  return { settings, ds: chargebackDataSource(settings, TYPE) };
}

describe('chargeback queries of the dashboards, through the datasource plugin, on the demo data', () => {
  it('covers the chargeback dashboard and the budgets dashboard', () => {
    expect([...new Set(queryCases.map((c) => c.d.uid))].sort()).toEqual([
      'tokenledger-budgets',
      'tokenledger-chargeback',
    ]);
    expect(queryCases.length).toBeGreaterThan(20);
  });

  it.each(queryCases)('$name returns frames with rows', async ({ d, selection, panel, target }) => {
    const { settings, ds } = dataSource();
    installRuntime([settings], templateVariables(d, selection));
    const response = await ds.query(dataRequest([target], panelRange(d.time, panel)));
    expect(response.errors).toBeUndefined();
    expect(response.data.length).toBeGreaterThan(0);
    for (const frame of response.data) expect(frame.length).toBeGreaterThan(0);
  });

  it.each(variableCases)('$name lists values, the test value among them', async ({ d, v }) => {
    const { settings, ds } = dataSource();
    installRuntime([settings], templateVariables(d, 'all'));
    const query = v.query as unknown as VariableQuery;
    const variables = ds.variables as ChargebackVariableSupport;
    const response = await lastValueFrom(variables.query(dataRequest([query], panelRange(d.time, undefined))));
    const values = (response.data[0] as DataFrame | undefined)?.fields[0]?.values ?? [];
    expect(values).toContain(ONE[v.name]);
  });
});
