import { annotations } from '../links';
import type { AlertSpec, LinkOptions, RuleGroupSpec } from '../model';
import { prometheusTemplates } from './prometheusTemplates';

/** A rule as Prometheus's rule file and prometheus-operator's PrometheusRule spell it. */
export type PrometheusRule =
  | { record: string; expr: string }
  | { alert: string; expr: string; for?: string; labels: Record<string, string>; annotations: Record<string, string> };

export interface PrometheusRuleGroup {
  name: string;
  rules: PrometheusRule[];
}

function alertRule(a: AlertSpec, links: LinkOptions): PrometheusRule {
  return {
    alert: a.alert,
    expr: a.expr,
    ...(a.for ? { for: a.for } : {}),
    labels: { severity: a.severity, component: a.component },
    annotations: annotations(a, links, prometheusTemplates(a.identity)),
  };
}

/** The `groups` of a Prometheus rule file: recording rules first, so alerts of a group read fresh values. */
export function prometheusRuleGroups(groups: readonly RuleGroupSpec[], links: LinkOptions): PrometheusRuleGroup[] {
  return groups.map((g) => ({
    name: g.name,
    rules: [
      ...g.recording.map((r) => ({ record: r.record, expr: r.expr })),
      ...g.alerts.map((a) => alertRule(a, links)),
    ],
  }));
}
