/**
 * Prometheus text exposition (format 0.0.4) written directly, for the usage families with tens of thousands
 * of samples: prom-client's formatter builds objects per sample, and a render holds the main thread (where the
 * follower and the commits run). Same escaping rules as prom-client.
 */

/** The # HELP and # TYPE lines of a family. */
export function familyHeader(name: string, help: string, type: 'counter' | 'gauge' | 'histogram'): string {
  return `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`;
}

/** `a="x",b="y"` for parallel lists of label names and values (no braces, so more can be appended). */
export function labelText(names: readonly string[], values: readonly string[]): string {
  return names.map((n, i) => `${n}="${escapeLabelValue(values[i]!)}"`).join(',');
}

/** One sample line; `labels` as labelText makes them ('' for none). */
export function sampleLine(name: string, labels: string, value: number): string {
  return `${samplePrefix(name, labels)}${formatValue(value)}\n`;
}

/** A sample line up to its value: `name{labels} `. */
export function samplePrefix(name: string, labels: string): string {
  return `${name}${labels ? `{${labels}}` : ''} `;
}

/** Joins label texts, leaving out empty ones. */
export function joinLabels(...texts: string[]): string {
  return texts.filter((t) => t).join(',');
}

function escapeLabelValue(v: string): string {
  return /[\\\n"]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : v;
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
