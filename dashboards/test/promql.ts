/**
 * PromQL as Grafana's Prometheus data source sends it: template variables replaced by "All" (the variable's
 * custom all value) or by one value (regex-escaped, as Grafana does for multi-value variables), and Grafana's
 * interval macros by what a short-lived test Prometheus can answer.
 */
import { Dashboard, Variable } from './dashboardFiles';

export type Selection = 'all' | 'one';

/** Grafana's escaping of a multi-value variable's value in PromQL (a regex inside a double-quoted string). */
export function escapeRegexValue(value: string): string {
  return value.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]'+?.()|]/g, '\\\\$&');
}

/** Macros with values that fit a Prometheus started a minute ago and scraping every second. */
export const MACROS: Record<string, string> = {
  __rate_interval: '1m',
  __interval: '15s',
  __range: '1h',
};

function variableValue(v: Variable, selection: Selection, one: Readonly<Record<string, string>>): string {
  if (selection === 'all') {
    if (v.allValue === undefined)
      throw new Error(`variable ${v.name} has no custom all value: Grafana would send every value it found`);
    return v.allValue;
  }
  const value = one[v.name];
  if (value === undefined) throw new Error(`no test value for variable ${v.name}`);
  return v.multi || v.includeAll ? escapeRegexValue(value) : value;
}

/**
 * `expr` with every `$name` / `${name}` of the dashboard's variables and Grafana's macros replaced; `raw` sets
 * variables to a regex as is (e.g. one filter to a value nothing has, the others All). Prometheus's own `$1`
 * and `$$` in label_replace replacements are left alone, as Grafana leaves them.
 */
export function substitute(
  expr: string,
  dashboard: Dashboard,
  selection: Selection,
  one: Readonly<Record<string, string>>,
  raw: Readonly<Record<string, string>> = {}
): string {
  return expr.replace(
    /\$\$|\$\{(\w+)(?::\w+)?\}|\$(\w+)/g,
    (match, braced: string | undefined, bare: string | undefined) => {
      if (match === '$$') return match;
      const name = (braced ?? bare)!;
      if (/^\d+$/.test(name)) return match;
      if (MACROS[name] !== undefined) return MACROS[name];
      if (raw[name] !== undefined) return raw[name];
      const v = dashboard.templating.list.find((x) => x.name === name);
      if (!v) throw new Error(`${match} in ${expr} is not a variable of ${dashboard.uid}`);
      return variableValue(v, selection, one);
    }
  );
}

/** `label_values(selector, label)` as the instant query that lists the same values. */
export function labelValuesQuery(query: string): { expr: string; label: string } {
  const m = /^label_values\((.+),\s*(\w+)\)$/.exec(query.trim());
  if (!m) throw new Error(`${query} is not label_values(selector, label)`);
  return { expr: `count by (${m[2]}) (${m[1]})`, label: m[2]! };
}
