/**
 * Static checks of the shipped dashboards: Grafana's schema, the fixed contracts (uids, variables, links),
 * and that every data source and variable they use exists.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allPanels, annotationQueries, Dashboard, loadDashboards, panelQueries, resolveDataSource, variable } from './test/dashboardFiles';
import { provisionedDataSources, REPO } from './test/provisioning';
import { checkSource, typeCheck } from './test/schemaCheck';
import { isBuiltIn, referencedVariables, stringsIn } from './test/templateVariables';

const files = loadDashboards();
const dashboards = files.map((f) => f.dashboard);
const dataSources = provisionedDataSources();
const FILTER_VARIABLES = ['user', 'model', 'tier', 'team', 'api_key'];
const pluginId = (dir: string) => (JSON.parse(readFileSync(join(REPO, dir, 'src/plugin.json'), 'utf8')) as { id: string }).id;
const PANEL_TYPES = new Set(['row', 'stat', 'timeseries', 'table', 'piechart', 'bargauge', 'gauge', 'barchart', 'alertlist', 'text', pluginId('panel-plugin')]);

/** Grafana's URL slug of a title (lower case, runs of other characters become one dash). */
const slug = (title: string) => title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

describe('dashboards', () => {
  it('are the four with the fixed uids, tagged tokenledger, and their URLs are /d/<uid>/<uid>', () => {
    expect(dashboards.map((d) => d.uid).sort()).toEqual(['tokenledger-budgets', 'tokenledger-chargeback', 'tokenledger-exporter-health', 'tokenledger-overview']);
    for (const d of dashboards) {
      expect(d.tags).toContain('tokenledger');
      // Alert annotations link to /d/tokenledger-budgets/tokenledger-budgets: the slug Grafana derives from the title.
      expect(slug(d.title)).toBe(d.uid);
    }
  });

  it("validate against Grafana's dashboard schema (@grafana/schema) and the plugins' option and query types", () => {
    expect(typeCheck(checkSource(files))).toEqual([]);
  });

  it('the schema check catches an invalid dashboard', () => {
    const broken = files[0]!.text.replace('"schemaVersion": 41', '"schemaVersion": "41"').replace('"refresh": 2', '"refresh": 7');
    expect(typeCheck(checkSource([{ ...files[0]!, text: broken }])).length).toBeGreaterThanOrEqual(2);
  });

  it.each(dashboards.map((d) => [d.uid, d] as const))('%s: panel ids are unique, panels fit the 24-column grid, panel types exist', (_uid, d) => {
    const panels = allPanels(d);
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of panels) {
      expect(PANEL_TYPES).toContain(p.type);
      expect(p.gridPos!.x + p.gridPos!.w).toBeLessThanOrEqual(24);
      expect(p.title.length).toBeGreaterThan(0);
    }
  });

  it.each(dashboards.map((d) => [d.uid, d] as const))('%s: has the datasource variable and multi-value filter variables with All', (_uid, d) => {
    expect(variable(d, 'datasource').type).toBe('datasource');
    const filters = [...FILTER_VARIABLES, ...(d.uid === 'tokenledger-budgets' ? ['scope', 'subject'] : [])];
    for (const name of filters) {
      const v = variable(d, name);
      expect([name, v.type, v.multi, v.includeAll]).toEqual([name, 'query', true, true]);
      expect(v.current?.value).toEqual(['$__all']);
    }
  });

  it.each(dashboards.map((d) => [d.uid, d] as const))('%s: every variable used is defined', (_uid, d) => {
    const defined = new Set(d.templating.list.map((v) => v.name));
    const undefinedRefs = stringsIn(d)
      .flatMap(({ path, text }) => referencedVariables(text).map((name) => ({ path, name })))
      .filter(({ name }) => !isBuiltIn(name) && !defined.has(name));
    expect(undefinedRefs).toEqual([]);
  });

  it.each(dashboards.map((d) => [d.uid, d] as const))("%s: every panel, query, variable and annotation uses a provisioned data source", (_uid, d) => {
    const refs = [
      ...allPanels(d).filter((p) => p.datasource).map((p) => ({ where: `panel ${p.title}`, ref: p.datasource })),
      ...panelQueries(d).map((q) => ({ where: `panel ${q.panel.title} query ${q.target.refId}`, ref: q.datasource })),
      ...d.templating.list.filter((v) => v.datasource).map((v) => ({ where: `variable ${v.name}`, ref: v.datasource })),
      ...annotationQueries(d).map((a) => ({ where: `annotation ${a.annotation.name}`, ref: a.datasource })),
    ];
    expect(refs.length).toBeGreaterThan(0);
    for (const { where, ref } of refs) {
      const resolved = resolveDataSource(d, ref);
      const match = dataSources.find((ds) => ds.uid === resolved?.uid && ds.type === resolved?.type && (ref?.type === undefined || ref.type === ds.type));
      expect({ where, ref, provisioned: Boolean(match) }).toEqual({ where, ref, provisioned: true });
    }
    for (const v of d.templating.list.filter((x) => x.type === 'datasource')) {
      expect(dataSources.map((ds) => `${ds.type}/${ds.uid}`)).toContain(`${String(v.query)}/${String(v.current?.value)}`);
    }
  });

  it.each(dashboards.map((d) => [d.uid, d] as const))('%s: links to the other dashboards keep the variables and the time range', (_uid, d) => {
    const nav = d.links.filter((l) => l.type === 'dashboards');
    expect(nav).toEqual([expect.objectContaining({ tags: ['tokenledger'], includeVars: true, keepTime: true })]);
  });

  it('every /d/ link, data link and Alertmanager link points at something that exists', () => {
    const uids = new Set(dashboards.map((d) => d.uid));
    const alertmanagers = new Set(dataSources.filter((ds) => ds.type === 'alertmanager').map((ds) => ds.uid));
    const urls = dashboards.flatMap((d: Dashboard) => stringsIn(d).filter(({ path, text }) => /(^|\.)url$/.test(path) && text !== '').map(({ text }) => text));
    expect(urls.length).toBeGreaterThan(3);
    for (const url of urls) {
      const d = /^\/d\/([^/]+)\/([^?]+)/.exec(url);
      if (d) expect([url, uids.has(d[1]!), d[2]]).toEqual([url, true, d[1]]);
      const am = /alertmanager=([\w-]+)/.exec(url);
      if (am) expect(alertmanagers).toContain(am[1]);
      expect(Boolean(d) || Boolean(am)).toBe(true);
    }
  });
});
