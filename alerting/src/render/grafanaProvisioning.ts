import { annotations } from '../links';
import type { AlertSpec, LinkOptions, RecordingRuleSpec, RuleGroupSpec } from '../model';
import { ALERT_REF, GrafanaTemplates } from './grafanaTemplates';
import { inlineRecordingRules } from './inlineRecordingRules';

/** Datasource uid of the Prometheus that scrapes the exporter (provisioning/datasources). */
export const PROMETHEUS_DATASOURCE_UID = 'tokenledger-prometheus';
export const GRAFANA_FOLDER = 'TokenLedger';
export const CONTACT_POINT = 'TokenLedger Alertmanager';
const CONDITION_REF = 'FIRING';
const ORG_ID = 1;
/** One alert per group (`...`), sent at once: the external Alertmanager groups and routes. */
const routing = () => ({ group_by: ['...'], group_wait: '0s', group_interval: '1m', repeat_interval: '4h' });

function prometheusQuery(refId: string, expr: string): object {
  return {
    refId,
    relativeTimeRange: { from: 600, to: 0 },
    datasourceUid: PROMETHEUS_DATASOURCE_UID,
    model: {
      refId,
      expr,
      instant: true,
      range: false,
      datasource: { type: 'prometheus', uid: PROMETHEUS_DATASOURCE_UID },
    },
  };
}

/** `TokenLedgerBudgetWarning` -> `tokenledger-budget-warning` (Grafana uids are at most 40 characters). */
export function ruleUid(alert: string): string {
  const uid = alert
    .replace(/^TokenLedger/, 'tokenledger')
    .replace(/([a-z])([A-Z])/g, '$1-$2')
    .toLowerCase();
  if (uid.length > 40) throw new Error(`Grafana rule uid ${uid} is longer than 40 characters`);
  return uid;
}

/**
 * One Grafana-managed rule: query A is the alert's PromQL (recording rules inlined, one series per alert
 * instance) and the condition fires for every series A returns, as Prometheus does (`$A == $A` holds for
 * any number). Summaries read other series through extra instant queries B, C, ...
 */
function grafanaRule(a: AlertSpec, links: LinkOptions, records: readonly RecordingRuleSpec[]): object {
  const templates = new GrafanaTemplates(a.identity);
  const notes = annotations(a, links, templates);
  const expr = inlineRecordingRules(templates.byIdentity(a.expr), records);
  return {
    uid: ruleUid(a.alert),
    title: a.alert,
    condition: CONDITION_REF,
    data: [
      prometheusQuery(ALERT_REF, expr),
      ...templates.queries.map((q) => prometheusQuery(q.refId, inlineRecordingRules(q.expr, records))),
      {
        refId: CONDITION_REF,
        datasourceUid: '__expr__',
        model: {
          refId: CONDITION_REF,
          type: 'math',
          expression: `$${ALERT_REF} == $${ALERT_REF}`,
          datasource: { type: '__expr__', uid: '__expr__' },
        },
      },
    ],
    noDataState: 'OK',
    execErrState: 'Error',
    for: a.for ?? '0s',
    labels: { severity: a.severity, component: a.component },
    annotations: notes,
    isPaused: false,
    // Simplified routing: Grafana routes this rule's alerts to the contact point itself, under the org's own
    // notification policy tree, which stays as it is (no `policies` file needed).
    notification_settings: { receiver: CONTACT_POINT, ...routing() },
  };
}

export function grafanaAlertRules(groups: readonly RuleGroupSpec[], links: LinkOptions): object {
  const records = groups.flatMap((g) => g.recording);
  return {
    apiVersion: 1,
    groups: groups.map((g) => ({
      orgId: ORG_ID,
      name: g.name,
      folder: GRAFANA_FOLDER,
      interval: '1m',
      rules: g.alerts.map((a) => grafanaRule(a, links, records)),
    })),
  };
}

/** The contact point that forwards every Grafana alert to the external Alertmanager, which routes them. */
export function grafanaContactPoints(alertmanagerUrl: string): object {
  return {
    apiVersion: 1,
    contactPoints: [
      {
        orgId: ORG_ID,
        name: CONTACT_POINT,
        receivers: [
          {
            uid: 'tokenledger-external-alertmanager',
            type: 'prometheus-alertmanager',
            settings: { url: alertmanagerUrl },
            disableResolveMessage: false,
          },
        ],
      },
    ],
  };
}

/**
 * An opt-in root policy sending every alert of the org to the Alertmanager. Provisioning a `policies` entry
 * REPLACES the org's whole notification policy tree, so this is not generated where Grafana loads it; the
 * rules route themselves (notification_settings) without it.
 */
export function grafanaNotificationPolicies(): object {
  return {
    apiVersion: 1,
    policies: [{ orgId: ORG_ID, receiver: CONTACT_POINT, ...routing() }],
  };
}

/** Says what provisioning grafanaNotificationPolicies() does, at the top of its file. */
export const NOTIFICATION_POLICIES_WARNING = `# Opt-in, and generated outside provisioning/ so that Grafana does not load it. TokenLedger does not need it: the
# alert rules in provisioning/alerting/tokenledger-rules.yaml send their alerts to the "${CONTACT_POINT}"
# contact point themselves (notification_settings, Grafana 11 or later).
#
# WARNING: provisioning this file REPLACES the organisation's ENTIRE Grafana notification policy tree (the root
# policy and every nested policy, including ones made in the UI) with this single root policy, which sends ALL
# Grafana alerts of the org, not only TokenLedger's, to the Alertmanager. Removing the file later does not bring
# the old tree back (a file with "resetPolicies: [1]" resets it to Grafana's default one, not to yours).
# Copy it into Grafana's provisioning/alerting/ only for a Grafana that alerts for TokenLedger alone. To merge
# instead: keep your tree and add a nested policy matching component=~"budget|exporter" with receiver
# "${CONTACT_POINT}" (UI, Terraform or the provisioning HTTP API), or rely on the rules' notification_settings.
`;
