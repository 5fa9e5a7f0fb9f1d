/**
 * The shipped dashboards as data: which files they are, and a walk over what the tests look at (panels,
 * queries, variables, annotations, links). Only the fields the tests read are typed; the schema test checks
 * the whole JSON against Grafana's types.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const DASHBOARD_DIR = resolve(__dirname, '..');

export interface DataSourceRef {
  type?: string;
  uid?: string;
}

export interface Target {
  refId: string;
  datasource?: DataSourceRef;
  expr?: string;
  queryType?: string;
  [key: string]: unknown;
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: DataSourceRef;
  targets?: Target[];
  panels?: Panel[];
  options?: Record<string, unknown>;
  fieldConfig?: unknown;
  links?: Link[];
  timeFrom?: string;
  timeShift?: string;
  interval?: string;
  gridPos?: { x: number; y: number; w: number; h: number };
}

export interface Variable {
  name: string;
  type: string;
  query?: string | Record<string, unknown>;
  datasource?: DataSourceRef;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  current?: { text?: unknown; value?: unknown };
}

export interface Link {
  title: string;
  type?: string;
  url?: string;
  tags?: string[];
  includeVars?: boolean;
  keepTime?: boolean;
}

export interface Annotation {
  name: string;
  builtIn?: number;
  datasource?: DataSourceRef;
  target?: Target;
}

export interface Dashboard {
  uid: string;
  title: string;
  tags: string[];
  time: { from: string; to: string };
  panels: Panel[];
  templating: { list: Variable[] };
  annotations: { list: Annotation[] };
  links: Link[];
}

export interface DashboardFile {
  file: string;
  text: string;
  dashboard: Dashboard;
}

/** Every `*.json` in dashboards/ except tsconfig.json: what Grafana is given. */
export function dashboardFileNames(): string[] {
  return readdirSync(DASHBOARD_DIR)
    .filter((f) => f.endsWith('.json') && f !== 'tsconfig.json')
    .sort();
}

export function loadDashboards(): DashboardFile[] {
  return dashboardFileNames().map((file) => {
    const text = readFileSync(join(DASHBOARD_DIR, file), 'utf8');
    return { file, text, dashboard: JSON.parse(text) as Dashboard };
  });
}

export function dashboardByUid(uid: string): Dashboard {
  const found = loadDashboards().find((d) => d.dashboard.uid === uid);
  if (!found) throw new Error(`no dashboard with uid ${uid} in ${DASHBOARD_DIR}`);
  return found.dashboard;
}

/** Every panel, rows' nested panels included; rows themselves too. */
export function allPanels(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

export interface PanelQuery {
  panel: Panel;
  target: Target;
  /** The target's data source, or its panel's. */
  datasource: DataSourceRef | undefined;
}

/** Every query of every panel, with the data source it runs on. */
export function panelQueries(dashboard: Dashboard): PanelQuery[] {
  return allPanels(dashboard).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ panel, target, datasource: target.datasource ?? panel.datasource }))
  );
}

/** Annotation queries other than Grafana's built-in one, as panel-less queries. */
export function annotationQueries(
  dashboard: Dashboard
): Array<{ annotation: Annotation; target: Target; datasource: DataSourceRef | undefined }> {
  return dashboard.annotations.list
    .filter((a) => !a.builtIn && a.target)
    .map((annotation) => ({ annotation, target: annotation.target!, datasource: annotation.datasource }));
}

export function variable(dashboard: Dashboard, name: string): Variable {
  const v = dashboard.templating.list.find((x) => x.name === name);
  if (!v) throw new Error(`${dashboard.uid} has no variable ${name}`);
  return v;
}

/** The query text of a Prometheus query variable (object form `{query}` or a plain string). */
export function variableQueryText(v: Variable): string {
  if (typeof v.query === 'string') return v.query;
  const q = v.query?.['query'];
  if (typeof q !== 'string') throw new Error(`variable ${v.name} has no query text`);
  return q;
}

/** A data source type a `${name}` data source variable stands for, or the literal reference. */
export function resolveDataSource(
  dashboard: Dashboard,
  ref: DataSourceRef | undefined
): { type: string; uid: string } | undefined {
  if (!ref?.uid) return undefined;
  const m = /^\$\{?(\w+)\}?$/.exec(ref.uid);
  if (!m) return { type: ref.type ?? '', uid: ref.uid };
  const v = variable(dashboard, m[1]!);
  if (v.type !== 'datasource' || typeof v.query !== 'string')
    throw new Error(`${dashboard.uid}: ${ref.uid} is not a data source variable`);
  const current = v.current?.value;
  return { type: v.query, uid: typeof current === 'string' ? current : '' };
}
