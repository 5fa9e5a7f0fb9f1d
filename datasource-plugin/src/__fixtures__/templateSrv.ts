import type { ScopedVars, TypedVariableModel } from '@grafana/data';
import type { TemplateSrv } from '@grafana/runtime';

export interface FakeVariable {
  name: string;
  /** `'$__all'` for "All". */
  value: string | string[];
  /** What "All" expands to. */
  options?: string[];
}

const REFERENCE = /\$(\w+)|\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]/g;

/**
 * A TemplateSrv that replaces `$name`, `${name}` and `[[name]]` like Grafana's: scoped variables first, "All"
 * expands to every option, a format function gets the value (an array for multi-value variables).
 */
export function fakeTemplateSrv(variables: FakeVariable[]): TemplateSrv {
  const find = (name: string) => variables.find((v) => v.name === name);
  return {
    // Only name and current are read by the code under test; a full TypedVariableModel needs ~20 fields.
    getVariables: () =>
      variables.map(
        (v) =>
          ({
            name: v.name,
            type: 'custom',
            current: { value: v.value, text: v.value },
          }) as unknown as TypedVariableModel
      ),
    containsTemplate: (target?: string) => Boolean(target && new RegExp(REFERENCE.source).test(target)),
    updateTimeRange: () => {},
    replace(target = '', scopedVars: ScopedVars = {}, format?: string | Function) {
      return target.replace(REFERENCE, (match, a?: string, b?: string, c?: string) => {
        const name = (a ?? b ?? c)!;
        const variable = find(name);
        const scoped = scopedVars[name]?.value as string | undefined;
        if (scoped === undefined && !variable) {
          return match;
        }
        let value: string | string[] = scoped ?? variable!.value;
        if (value === '$__all' || (Array.isArray(value) && value.includes('$__all'))) {
          value = variable?.options ?? [];
        }
        if (typeof format === 'function') {
          return format(value);
        }
        return Array.isArray(value) ? `{${value.join(',')}}` : value;
      });
    },
  };
}
