import type { NumberFormat, TemplateDialect } from '../model';
import { FORMAT_PIPES, labelTemplate, selector } from './formatPipes';

/**
 * Prometheus annotation templates: `$value` is the alert's value; other series of the same alert instance
 * are read with the `query` template function, selected by the alert's identifying labels.
 */
export function prometheusTemplates(identity: readonly string[]): TemplateDialect {
  return {
    label: labelTemplate,
    value: (format: NumberFormat) => `{{ $value | ${FORMAT_PIPES[format]} }}`,
    sample(format, metric, options = {}) {
      const sel = selector(metric, [...(options.matchers ?? []), ...identity.map((l) => `${l}=%q`)]);
      const expr = options.wrap ? options.wrap(sel) : sel;
      if (expr.replace(/%q/g, '').includes('%')) throw new Error(`a template query may not contain %: ${expr}`);
      const args = identity.map((l) => ` $labels.${l}`).join('');
      return `{{ with printf \`${expr}\`${args} | query }}{{ . | first | value | ${FORMAT_PIPES[format]} }}{{ end }}`;
    },
  };
}
