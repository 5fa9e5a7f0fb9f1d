import type { NumberFormat, TemplateDialect } from '../model';
import { FORMAT_PIPES, labelTemplate, selector } from './formatPipes';

/** Reference id of the alert's own query in a Grafana rule; its value is `$values.A.Value`. */
export const ALERT_REF = 'A';

export interface AuxiliaryQuery {
  refId: string;
  expr: string;
}

/**
 * Grafana annotation templates. Grafana has no `query` function: each other series a summary reads becomes
 * an extra instant query of the rule, aggregated to the alert's identifying labels (as the alert query is)
 * so Grafana pairs it with the right instance, and read as `$values.<refId>.Value`.
 */
export class GrafanaTemplates implements TemplateDialect {
  readonly queries: AuxiliaryQuery[] = [];

  constructor(private readonly identity: readonly string[]) {}

  label = labelTemplate;

  value(format: NumberFormat): string {
    return `{{ $values.${ALERT_REF}.Value | ${FORMAT_PIPES[format]} }}`;
  }

  sample(
    format: NumberFormat,
    metric: string,
    options: { matchers?: string[]; wrap?: (selector: string) => string } = {}
  ): string {
    const sel = selector(metric, options.matchers ?? []);
    const expr = this.byIdentity(options.wrap ? options.wrap(sel) : sel);
    let query = this.queries.find((q) => q.expr === expr);
    if (!query) {
      query = { refId: String.fromCharCode('B'.charCodeAt(0) + this.queries.length), expr };
      this.queries.push(query);
    }
    return `{{ $values.${query.refId}.Value | ${FORMAT_PIPES[format]} }}`;
  }

  /** `max by (<identity>) (expr)`: one series per alert instance, with exactly its labels. */
  byIdentity(expr: string): string {
    return `max by (${this.identity.join(', ')}) (${expr})`;
  }
}
