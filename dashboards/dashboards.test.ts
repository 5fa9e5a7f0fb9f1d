/**
 * Static checks of the shipped dashboards: Grafana's schema, the fixed contracts (uids, variables, links),
 * and that every data source and variable they use exists.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  allPanels,
  annotationQueries,
  Dashboard,
  loadDashboards,
  panelQueries,
  resolveDataSource,
  variable,
} from './test/dashboardFiles';
import { provisionedDataSources, REPO } from './test/provisioning';
import { checkSource, typeCheck } from './test/schemaCheck';
import { linkUses, variableMeaning } from './test/links';
import { isBuiltIn, referencedVariables, stringsIn } from './test/templateVariables';

const files = loadDashboards();
const dashboards = files.map((f) => f.dashboard);
const dataSources = provisionedDataSources();
/**
 * The filters each dashboard shows. Budgets have no model (no budget has a model scope); exporter health has
 * none of the usage labels (its metrics carry source, reason, model of unpriced requests, job only).
 */
const FILTER_VARIABLES: Record<string, string[]> = {
  'tokenledger-overview': ['user', 'model', 'tier', 'team', 'api_key'],
  'tokenledger-chargeback': ['user', 'model', 'tier', 'team', 'api_key'],
  'tokenledger-budgets': ['user', 'tier', 'team', 'api_key', 'scope', 'subject'],
  'tokenledger-exporter-health': ['job'],
};
const pluginId = (dir: string) =>
  (JSON.parse(readFileSync(join(REPO, dir, 'src/plugin.json'), 'utf8')) as { id: string }).id;
const PANEL_TYPES = new Set([
  'row',
  'stat',
  'timeseries',
  'table',
  'piechart',
  'bargauge',
  'gauge',
  'barchart',
  'alertlist',
  'text',
  pluginId('panel-plugin'),
]);

/** Grafana's URL slug of a title (lower case, runs of other characters become one dash). */
const slug = (title: string) =>
  title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

describe('dashboards', () => {
  it('are the four with the fixed uids, tagged tokenledger, and their URLs are /d/<uid>/<uid>', () => {
    expect(dashboards.map((d) => d.uid).sort()).toEqual([
      'tokenledger-budgets',
      'tokenledger-chargeback',
      'tokenledger-exporter-health',
      'tokenledger-overview',
    ]);
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
    const broken = files[0]!.text
      .replace('"schemaVersion": 41', '"schemaVersion": "41"')
      .replace('"refresh": 2', '"refresh": 7');
    expect(typeCheck(checkSource([{ ...files[0]!, text: broken }])).length).toBeGreaterThanOrEqual(2);
  });

  it.each(dashboards.map((d) => [d.uid, d] as const))(
    '%s: panel ids are unique, panels fit the 24-column grid, panel types exist',
    (_uid, d) => {
      const panels = allPanels(d);
      expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
      for (const p of panels) {
        expect(PANEL_TYPES).toContain(p.type);
        expect(p.gridPos!.x + p.gridPos!.w).toBeLessThanOrEqual(24);
        expect(p.title.length).toBeGreaterThan(0);
      }
    }
  );

  it.each(dashboards.map((d) => [d.uid, d] as const))(
    '%s: has the datasource variable and multi-value filter variables with All',
    (_uid, d) => {
      expect(variable(d, 'datasource').type).toBe('datasource');
      const filters = FILTER_VARIABLES[d.uid]!;
      expect(
        d.templating.list
          .filter((v) => v.type === 'query')
          .map((v) => v.name)
          .sort()
      ).toEqual([...filters].sort());
      for (const name of filters) {
        const v = variable(d, name);
        expect([name, v.type, v.multi, v.includeAll]).toEqual([name, 'query', true, true]);
        expect(v.current?.value).toEqual(['$__all']);
      }
    }
  );

  it.each(dashboards.map((d) => [d.uid, d] as const))('%s: every variable used is defined', (_uid, d) => {
    const defined = new Set(d.templating.list.map((v) => v.name));
    const undefinedRefs = stringsIn(d)
      .flatMap(({ path, text }) => referencedVariables(text).map((name) => ({ path, name })))
      .filter(({ name }) => !isBuiltIn(name) && !defined.has(name));
    expect(undefinedRefs).toEqual([]);
  });

  it.each(dashboards.map((d) => [d.uid, d] as const))(
    '%s: every panel, query, variable and annotation uses a provisioned data source',
    (_uid, d) => {
      const refs = [
        ...allPanels(d)
          .filter((p) => p.datasource)
          .map((p) => ({ where: `panel ${p.title}`, ref: p.datasource })),
        ...panelQueries(d).map((q) => ({ where: `panel ${q.panel.title} query ${q.target.refId}`, ref: q.datasource })),
        ...d.templating.list
          .filter((v) => v.datasource)
          .map((v) => ({ where: `variable ${v.name}`, ref: v.datasource })),
        ...annotationQueries(d).map((a) => ({ where: `annotation ${a.annotation.name}`, ref: a.datasource })),
      ];
      expect(refs.length).toBeGreaterThan(0);
      for (const { where, ref } of refs) {
        const resolved = resolveDataSource(d, ref);
        const match = dataSources.find(
          (ds) =>
            ds.uid === resolved?.uid && ds.type === resolved?.type && (ref?.type === undefined || ref.type === ds.type)
        );
        expect({ where, ref, provisioned: Boolean(match) }).toEqual({ where, ref, provisioned: true });
      }
      for (const v of d.templating.list.filter((x) => x.type === 'datasource')) {
        const { type, uid } = resolveDataSource(d, { uid: `$${v.name}` })!;
        expect(dataSources.map((ds) => `${ds.type}/${ds.uid}`)).toContain(`${type}/${uid}`);
      }
    }
  );

  it.each(dashboards.map((d) => [d.uid, d] as const))(
    '%s: every variable filters something: a panel or annotation query uses it',
    (_uid, d) => {
      // What runs: panel and query data sources and expressions, annotation queries. Variable queries and links
      // do not count: a filter that only narrows another filter's list, or is only passed on, filters nothing here.
      const queries = [
        ...allPanels(d).map((p) => ({ datasource: p.datasource, targets: p.targets })),
        ...d.annotations.list.filter((a) => !a.builtIn).map((a) => ({ datasource: a.datasource, target: a.target })),
      ];
      const used = new Set(stringsIn(queries).flatMap(({ text }) => referencedVariables(text)));
      expect(d.templating.list.map((v) => v.name).filter((name) => !used.has(name))).toEqual([]);
    }
  );

  const uses = linkUses(dashboards);

  it('every link, data link and drilldown sets only variables the target has, with the same meaning', () => {
    expect(uses.length).toBeGreaterThan(12);
    const problems = uses.flatMap(({ source, where, target, carried }) =>
      carried
        .filter((c) => !c.dynamic)
        .flatMap((c) => {
          const at = `${source.uid} ${where} -> ${target.uid}: var-${c.name}`;
          const t = target.templating.list.find((v) => v.name === c.name);
          if (!t) return [`${at} is not a variable of ${target.uid}`];
          if (c.value.kind === 'variable') {
            const s = variable(source, c.value.name);
            return variableMeaning(s) === variableMeaning(t)
              ? []
              : [`${at} gets $${s.name} (${variableMeaning(s)}), but is ${variableMeaning(t)}`];
          }
          // A clicked value can only be a filter value, never a data source.
          return t.type === 'query'
            ? []
            : [
                `${at} is a ${t.type} variable set from ${c.value.kind === 'data' ? c.value.text : `"${c.value.text}"`}`,
              ];
        })
    );
    expect(problems).toEqual([]);
  });

  it('the only link whose variable name depends on the row is the budget subject link (checked on real data in promql.test.ts)', () => {
    const dynamic = uses.flatMap(({ source, where, target, carried }) =>
      carried.filter((c) => c.dynamic).map((c) => ({ source: source.uid, where, target: target.uid, name: c.name }))
    );
    expect(dynamic).toEqual([
      {
        source: 'tokenledger-budgets',
        where: 'panel "Budgets" data link "Usage of ${__data.fields.Subject}"',
        target: 'tokenledger-overview',
        name: '${__data.fields.overview_variable}',
      },
    ]);
  });

  it.each(dashboards.map((d) => [d.uid, d] as const))(
    '%s: links to each other dashboard, keeping the time range and every variable they share',
    (_uid, d) => {
      for (const target of dashboards.filter((t) => t.uid !== d.uid)) {
        const nav = d.links.filter((l) => l.type === 'link' && l.url?.startsWith(`/d/${target.uid}/`));
        expect({ target: target.uid, links: nav.length, keepTime: nav[0]?.keepTime }).toEqual({
          target: target.uid,
          links: 1,
          keepTime: true,
        });
        const carried = uses.find(
          (u) => u.source === d && u.target === target && u.where.startsWith('dashboard link')
        )!.carried;
        const shared = target.templating.list
          .filter((t) => d.templating.list.some((s) => variableMeaning(s) === variableMeaning(t)))
          .map((t) => t.name);
        expect(carried.map((c) => c.name).sort()).toEqual(shared.sort());
      }
    }
  );

  it('every /d/ link, data link and Alertmanager link points at something that exists', () => {
    const uids = new Set(dashboards.map((d) => d.uid));
    const alertmanagers = new Set(dataSources.filter((ds) => ds.type === 'alertmanager').map((ds) => ds.uid));
    const urls = dashboards.flatMap((d: Dashboard) =>
      stringsIn(d)
        .filter(({ path, text }) => /(^|\.)url$/.test(path) && text !== '')
        .map(({ text }) => text)
    );
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
