import type { DrilldownMode } from './types';

export type DrilldownAction = 'links' | 'variable' | 'none';

/** What a click on a row does, given the chosen mode and whether the value field has data links. */
export function resolveDrilldown(mode: DrilldownMode, hasLinks: boolean, variableName: string): DrilldownAction {
  switch (mode) {
    case 'links':
      return hasLinks ? 'links' : 'none';
    case 'variable':
      return variableName ? 'variable' : 'none';
    case 'auto':
      return hasLinks ? 'links' : variableName ? 'variable' : 'none';
    case 'none':
      return 'none';
  }
}

/** The URL query change that selects `subject` in dashboard variable `variableName`. */
export function variableQuery(variableName: string, subject: string): Record<string, string> {
  return { [`var-${variableName}`]: subject };
}

/**
 * Rows that stand for many subjects: the chargeback datasource's "Everyone else" (top N with the rest) and the
 * exporter's `__other__` (series folded beyond the cap). Selecting one as a variable value would match nobody.
 */
const AGGREGATE_SUBJECTS = new Set(['Everyone else', '__other__']);

/** The row's drilldown: none for an aggregate row, else the panel's. */
export function rowDrilldown(action: DrilldownAction, subject: string): DrilldownAction {
  return AGGREGATE_SUBJECTS.has(subject) ? 'none' : action;
}
