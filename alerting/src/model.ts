/**
 * The shape of the one source of truth: rule groups made of recording rules and alerts, written once in
 * TypeScript and rendered to a Prometheus rule file, a PrometheusRule resource and Grafana provisioning.
 */

/** Alert severities: the three budget thresholds the exporter exports, as `severity` label values. */
export type Severity = 'warning' | 'critical' | 'exceeded';

/** What an alert is about; routes and runbooks tell budget alerts from exporter-health alerts by it. */
export type Component = 'budget' | 'exporter';

/** How a number is printed in an annotation. */
export type NumberFormat = 'percent' | 'usd' | 'duration' | 'count' | 'bytes';

/**
 * Writes annotation templates for one target (Prometheus or Grafana), whose template variables differ.
 * Alerts describe their summaries through it, so each summary is written once.
 */
export interface TemplateDialect {
  /** The value of a label of the alert instance; `url` escapes it for a query parameter. */
  label(name: string, escape?: 'url'): string;
  /** The alert's value (the result of its expression), formatted. */
  value(format: NumberFormat): string;
  /**
   * The value of another series for the same alert instance: `metric{extraMatchers..., <the alert's
   * identifying labels>}`, optionally wrapped in a PromQL function (`(selector) => expression`).
   */
  sample(
    format: NumberFormat,
    metric: string,
    options?: { matchers?: string[]; wrap?: (selector: string) => string }
  ): string;
}

export interface RecordingRuleSpec {
  /** `tokenledger:<what>:<how>`. */
  record: string;
  expr: string;
  /** What the series means, for the README and dashboard authors. */
  help: string;
}

export interface AlertSpec {
  alert: string;
  expr: string;
  /** Prometheus duration the condition must hold before the alert fires; none fires at once. */
  for?: string;
  severity: Severity;
  component: Component;
  /** Labels that identify one instance of the alert (template look-ups and Grafana's series use them). */
  identity: readonly string[];
  summary: (t: TemplateDialect) => string;
  /** Whether the annotations link to the budgets dashboard filtered to the alert's scope and subject. */
  dashboardLink: boolean;
}

export interface RuleGroupSpec {
  name: string;
  recording: RecordingRuleSpec[];
  alerts: AlertSpec[];
}

/** Where annotation links point: parameters of the generator (see links.ts for the defaults). */
export interface LinkOptions {
  grafanaUrl: string;
  runbookUrl: string;
}

/** What the rules themselves depend on: parameters of the generator (see ruleGroups.ts for the defaults). */
export interface RuleOptions {
  /** The job name Prometheus scrapes the exporter under (`up{job="..."}` of TokenLedgerExporterDown). */
  exporterJob: string;
}
