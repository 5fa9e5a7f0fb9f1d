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
