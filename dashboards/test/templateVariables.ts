/** Which template variables a string refers to, in every syntax Grafana accepts. */

/** `$name`, `${name}`, `${name:format}`, `${name.field}`, `[[name]]`, `[[name:format]]`. */
const REFERENCE = /\$(\w+)|\$\{(\w+)(?:[.:][^}]*)?\}|\[\[(\w+)(?::\w+)?\]\]/g;

/** Grafana's own variables (`$__interval`, `${__value.raw}`, `${__url_time_range}` ...). */
export function isBuiltIn(name: string): boolean {
  return name.startsWith('__');
}

/** Variable names; `$1` is a regex group in a label_replace replacement, which Grafana leaves alone too. */
export function referencedVariables(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(REFERENCE)) names.add((m[1] ?? m[2] ?? m[3])!);
  return [...names].filter((name) => !/^\d+$/.test(name));
}

/** Every string anywhere inside a JSON value, with its path (for error messages). */
export function stringsIn(value: unknown, path = ''): Array<{ path: string; text: string }> {
  if (typeof value === 'string') return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringsIn(v, `${path}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => stringsIn(v, path ? `${path}.${k}` : k));
  return [];
}
