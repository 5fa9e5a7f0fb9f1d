import type { PrometheusRuleGroup } from './prometheusRuleFile';

/** The same groups as a prometheus-operator `PrometheusRule` resource (add your Prometheus's ruleSelector labels). */
export function prometheusRuleResource(groups: PrometheusRuleGroup[]): object {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: {
      name: 'tokenledger',
      labels: { 'app.kubernetes.io/name': 'tokenledger', 'app.kubernetes.io/component': 'alerting' },
    },
    spec: { groups },
  };
}
