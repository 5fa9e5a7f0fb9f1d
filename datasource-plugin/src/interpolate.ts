import type { ScopedVars } from '@grafana/data';
import type { TemplateSrv } from '@grafana/runtime';
import { ChargebackQuery, DIMENSIONS, Filters, VariableQuery } from './types';

/** Grafana's value for a multi-value variable set to "All". */
const ALL_VALUE = '$__all';
/** Joins a multi-value variable's values; cannot occur in a dimension value typed in a form. */
const SEPARATOR = '\u001f';
/** A filter value that is exactly one variable: `$user`, `${user}`, `${user:csv}` or `[[user]]`. */
const VARIABLE_REFERENCE = /^\$(\w+)$|^\$\{(\w+)(?::\w+)?\}$|^\[\[(\w+)\]\]$/;

function isAllSelected(value: string, templateSrv: TemplateSrv, scopedVars: ScopedVars): boolean {
  const match = VARIABLE_REFERENCE.exec(value.trim());
  const name = match?.[1] ?? match?.[2] ?? match?.[3];
  // A repeated panel's scoped value is one value, never "All".
  if (name === undefined || scopedVars[name]) {
    return false;
  }
  const variable = templateSrv.getVariables().find((v) => v.name === name);
  const current = variable && 'current' in variable ? variable.current.value : undefined;
  return current === ALL_VALUE || (Array.isArray(current) && current.includes(ALL_VALUE));
}

/**
 * The values a filter stands for once its variables are replaced: a multi-value `$user` gives one value per
 * selection. `undefined` means "no filter" (none was set, or a variable is set to All); `[]` means the
 * filter matches nothing: its variables stand for no value (a selection left empty, a variable with no
 * options), which must narrow the report to nothing, not widen it to everyone.
 */
export function interpolateValues(
  values: string[],
  templateSrv: TemplateSrv,
  scopedVars: ScopedVars = {}
): string[] | undefined {
  const out = new Set<string>();
  for (const value of values) {
    if (isAllSelected(value, templateSrv, scopedVars)) {
      return undefined;
    }
    const replaced = templateSrv.replace(value, scopedVars, (v: string | string[]) =>
      Array.isArray(v) ? v.join(SEPARATOR) : v
    );
    for (const part of replaced.split(SEPARATOR)) {
      if (part !== '') {
        out.add(part);
      }
    }
  }
  return values.length > 0 ? [...out] : undefined;
}

/** Whether some filter matches nothing (see interpolateValues): such a query has no data to ask for. */
export function matchesNothing(filters: Filters | undefined): boolean {
  return DIMENSIONS.some((d) => filters?.[d]?.length === 0);
}

export function interpolateFilters(
  filters: Filters | undefined,
  templateSrv: TemplateSrv,
  scopedVars: ScopedVars = {}
): Filters {
  const out: Filters = {};
  for (const dimension of DIMENSIONS) {
    const values = interpolateValues(filters?.[dimension] ?? [], templateSrv, scopedVars);
    if (values) {
      out[dimension] = values;
    }
  }
  return out;
}

export function interpolateQuery<Q extends ChargebackQuery | VariableQuery>(
  query: Q,
  templateSrv: TemplateSrv,
  scopedVars: ScopedVars = {}
): Q {
  return { ...query, filters: interpolateFilters(query.filters, templateSrv, scopedVars) };
}
