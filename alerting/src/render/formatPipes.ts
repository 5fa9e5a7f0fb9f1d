import type { NumberFormat } from '../model';

/** The template function that prints a number in each format (Prometheus and Grafana share these). */
export const FORMAT_PIPES: Record<NumberFormat, string> = {
  percent: 'humanizePercentage',
  usd: 'printf "%.2f"',
  duration: 'humanizeDuration',
  count: 'humanize',
  bytes: 'humanize1024',
};

/** `{{ $labels.name }}`, URL-escaped on request; both targets name labels this way. */
export function labelTemplate(name: string, escape?: 'url'): string {
  return `{{ $labels.${name}${escape === 'url' ? ' | urlquery' : ''} }}`;
}

/** `metric{matchers...}`, or the bare metric name when there are none. */
export function selector(metric: string, matchers: readonly string[]): string {
  return matchers.length ? `${metric}{${matchers.join(',')}}` : metric;
}
