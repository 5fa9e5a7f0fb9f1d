import { stringify } from 'yaml';
import { DEFAULT_LINKS } from './links';
import type { LinkOptions, RuleOptions } from './model';
import {
  grafanaAlertRules,
  grafanaContactPoints,
  grafanaNotificationPolicies,
  NOTIFICATION_POLICIES_WARNING,
} from './render/grafanaProvisioning';
import { prometheusRuleResource } from './render/prometheusOperator';
import { prometheusRuleGroups } from './render/prometheusRuleFile';
import { DEFAULT_RULE_OPTIONS, ruleGroups } from './ruleGroups';

export interface GenerateOptions extends LinkOptions, RuleOptions {
  /** Where Grafana's contact point sends alerts: the docker-compose Alertmanager by default. */
  alertmanagerUrl: string;
}

export const DEFAULT_OPTIONS: GenerateOptions = {
  ...DEFAULT_LINKS,
  ...DEFAULT_RULE_OPTIONS,
  alertmanagerUrl: 'http://alertmanager:9093',
};

/** Repository-relative paths of the generated files, which other parts of the stack load. */
export const GENERATED_PATHS = {
  ruleFile: 'alerting/rules/tokenledger.rules.yml',
  prometheusRule: 'alerting/kubernetes/prometheusrule.yaml',
  /** The same resource among the Kubernetes manifests (kustomize reads no file outside deploy/kubernetes). */
  deployPrometheusRule: 'deploy/kubernetes/prometheusrule.yaml',
  grafanaRules: 'provisioning/alerting/tokenledger-rules.yaml',
  grafanaContactPoints: 'provisioning/alerting/tokenledger-contact-points.yaml',
  /** Opt-in, outside provisioning/: provisioned, it replaces the org's whole notification policy tree. */
  grafanaPolicies: 'alerting/grafana/tokenledger-notification-policies.yaml',
} as const;

const HEADER = '# Generated from alerting/src by `npm run alerting:generate`: edit the TypeScript, not this file.\n';

function yamlFile(document: unknown, comment = ''): string {
  return HEADER + comment + stringify(document, { lineWidth: 0, blockQuote: 'literal' });
}

/** Every generated file's text by repository-relative path, from the one rule source. Throws on an invalid option. */
export function generatedFiles(options: GenerateOptions = DEFAULT_OPTIONS): Record<string, string> {
  const specs = ruleGroups(options);
  const groups = prometheusRuleGroups(specs, options);
  return {
    [GENERATED_PATHS.ruleFile]: yamlFile({ groups }),
    [GENERATED_PATHS.prometheusRule]: yamlFile(prometheusRuleResource(groups)),
    [GENERATED_PATHS.deployPrometheusRule]: yamlFile(prometheusRuleResource(groups)),
    [GENERATED_PATHS.grafanaRules]: yamlFile(grafanaAlertRules(specs, options)),
    [GENERATED_PATHS.grafanaContactPoints]: yamlFile(grafanaContactPoints(options.alertmanagerUrl)),
    [GENERATED_PATHS.grafanaPolicies]: yamlFile(grafanaNotificationPolicies(), NOTIFICATION_POLICIES_WARNING),
  };
}
