/**
 * Every way a dashboard opens another one (or itself) with variables set: dashboard links, panel links, data
 * links (field defaults and overrides), and the topusers panel's "set a variable" drilldown. For each, which
 * `var-*` parameters it carries and where their values come from, so the tests can check them against the
 * target's variables.
 */
import { allPanels, Dashboard, Link, Variable, variableQueryText } from './dashboardFiles';
import { labelValuesQuery } from './promql';

/** Where a carried parameter's value comes from. */
export type ValueSource =
  | { kind: 'variable'; name: string } // a variable of the source dashboard (`${user:queryparam}`, `var-x=${chargeback}`)
  | { kind: 'data'; text: string } // the clicked value or row (`${__value.raw}`, `${__data.fields.x}`)
  | { kind: 'literal'; text: string };

export interface CarriedVariable {
  /** The target's variable name (without `var-`), or the raw template text when the name itself is data. */
  name: string;
  /** The name comes from the data (`var-${__data.fields.x}`): what it is depends on the row. */
  dynamic: boolean;
  value: ValueSource;
}

export interface DashboardLinkUse {
  source: Dashboard;
  /** For messages: which link. */
  where: string;
  target: Dashboard;
  carried: CarriedVariable[];
}

/** What a variable stands for, across dashboards: a data source of one type, or the values of one dimension. */
export function variableMeaning(v: Variable): string {
  if (v.type === 'datasource') {
    if (typeof v.query !== 'string')
      throw new Error(`variable ${v.name}: a data source variable's query is not a plugin type`);
    return `datasource:${v.query}`;
  }
  if (v.type !== 'query') return `${v.type}:${v.name}`;
  if (v.datasource?.type === 'prometheus') return `dimension:${labelValuesQuery(variableQueryText(v)).label}`;
  const dimension = typeof v.query === 'object' ? v.query['dimension'] : undefined;
  if (typeof dimension !== 'string')
    throw new Error(`variable ${v.name}: no Prometheus label_values query and no chargeback dimension`);
  // The chargeback API's apiKey dimension is the exporter's api_key label (docs/metrics.md).
  return `dimension:${dimension === 'apiKey' ? 'api_key' : dimension}`;
}

const BRACED = /^\$\{(\w+)(?::\w+)?\}$|^\$(\w+)$/;

function valueSource(text: string, source: Dashboard): ValueSource {
  const m = BRACED.exec(text);
  const name = m ? (m[1] ?? m[2])! : undefined;
  if (name && source.templating.list.some((v) => v.name === name)) return { kind: 'variable', name };
  if (text.includes('${__')) return { kind: 'data', text };
  return { kind: 'literal', text };
}

/** The `var-*` parameters a URL sets, `${name:queryparam}` included (it expands to `var-name=...`). */
export function carriedByUrl(url: string, source: Dashboard): CarriedVariable[] {
  const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
  return query
    .split('&')
    .filter((part) => part !== '')
    .flatMap((part): CarriedVariable[] => {
      const qp = /^\$\{(\w+):queryparam\}$/.exec(part);
      if (qp) return [{ name: qp[1]!, dynamic: false, value: { kind: 'variable', name: qp[1]! } }];
      const eq = part.indexOf('=');
      const key = eq < 0 ? part : part.slice(0, eq);
      if (!key.startsWith('var-')) return [];
      const name = key.slice('var-'.length);
      return [{ name, dynamic: name.includes('$'), value: valueSource(eq < 0 ? '' : part.slice(eq + 1), source) }];
    });
}

const everyVariable = (source: Dashboard): CarriedVariable[] =>
  source.templating.list.map((v) => ({ name: v.name, dynamic: false, value: { kind: 'variable', name: v.name } }));

function byUrl(
  source: Dashboard,
  where: string,
  link: { url?: string; includeVars?: boolean },
  dashboards: Dashboard[]
): DashboardLinkUse[] {
  const m = /^\/d\/([^/?]+)/.exec(link.url ?? '');
  if (!m) return [];
  const target = dashboards.find((d) => d.uid === m[1]);
  if (!target) throw new Error(`${source.uid} ${where}: no dashboard ${m[1]}`);
  return [
    {
      source,
      where,
      target,
      carried: [...carriedByUrl(link.url!, source), ...(link.includeVars ? everyVariable(source) : [])],
    },
  ];
}

/** Data links of a panel: field defaults and `links` overrides. */
function dataLinks(fieldConfig: unknown): Array<{ url?: string; title?: string }> {
  const fc = fieldConfig as
    | { defaults?: { links?: Link[] }; overrides?: Array<{ properties?: Array<{ id: string; value?: unknown }> }> }
    | undefined;
  return [
    ...(fc?.defaults?.links ?? []),
    ...(fc?.overrides ?? []).flatMap((o) =>
      (o.properties ?? []).filter((p) => p.id === 'links').flatMap((p) => p.value as Link[])
    ),
  ];
}

export function linkUses(dashboards: Dashboard[]): DashboardLinkUse[] {
  return dashboards.flatMap((source) => [
    ...source.links.flatMap((link, i) => {
      const where = `dashboard link ${i} "${link.title}"`;
      if (link.type === 'dashboards') {
        // Grafana lists every dashboard with one of the tags, itself excepted; includeVars adds all variables.
        return dashboards
          .filter((t) => t.uid !== source.uid && t.tags.some((tag) => link.tags?.includes(tag)))
          .map((target) => ({ source, where, target, carried: link.includeVars ? everyVariable(source) : [] }));
      }
      return byUrl(source, where, link, dashboards);
    }),
    ...allPanels(source).flatMap((panel) => [
      ...(panel.links ?? []).flatMap((link) =>
        byUrl(source, `panel "${panel.title}" link "${link.title}"`, link, dashboards)
      ),
      ...dataLinks(panel.fieldConfig).flatMap((link) =>
        byUrl(source, `panel "${panel.title}" data link "${link.title ?? ''}"`, link, dashboards)
      ),
      ...drilldown(source, panel),
    ]),
  ]);
}

/** The topusers panel's click: sets `variableName` on its own dashboard to the clicked subject. */
function drilldown(
  source: Dashboard,
  panel: { type: string; title: string; options?: Record<string, unknown> }
): DashboardLinkUse[] {
  const mode = panel.options?.['drilldown'];
  const name = panel.options?.['variableName'];
  if (mode !== 'variable' && mode !== 'auto') return [];
  if (typeof name !== 'string')
    throw new Error(`${source.uid} panel "${panel.title}": drilldown ${String(mode)} without variableName`);
  return [
    {
      source,
      where: `panel "${panel.title}" drilldown`,
      target: source,
      carried: [{ name, dynamic: false, value: { kind: 'data', text: 'the clicked subject' } }],
    },
  ];
}
