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

function prometheusQuery(refId: string, expr: string): object {
  return {
    refId,
    relativeTimeRange: { from: 600, to: 0 },
    datasourceUid: PROMETHEUS_DATASOURCE_UID,
    model: { refId, expr, instant: true, range: false, datasource: { type: 'prometheus', uid: PROMETHEUS_DATASOURCE_UID } },
  };
}

/** `TokenLedgerBudgetWarning` -> `tokenledger-budget-warning` (Grafana uids are at most 40 characters). */
export function ruleUid(alert: string): string {
  const uid = alert.replace(/^TokenLedger/, 'tokenledger').replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
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
        model: { refId: CONDITION_REF, type: 'math', expression: `$${ALERT_REF} == $${ALERT_REF}`, datasource: { type: '__expr__', uid: '__expr__' } },
      },
    ],
    noDataState: 'OK',
    execErrState: 'Error',
    for: a.for ?? '0s',
    labels: { severity: a.severity, component: a.component },
    annotations: notes,
    isPaused: false,
  };
}

export function grafanaAlertRules(groups: readonly RuleGroupSpec[], links: LinkOptions): object {
  const records = groups.flatMap((g) => g.recording);
  return {
    apiVersion: 1,
    groups: groups.map((g) => ({ orgId: ORG_ID, name: g.name, folder: GRAFANA_FOLDER, interval: '1m', rules: g.alerts.map((a) => grafanaRule(a, links, records)) })),
  };
}

/** The contact point that forwards every Grafana alert to the external Alertmanager, which routes them. */
export function grafanaContactPoints(alertmanagerUrl: string): object {
  return {
    apiVersion: 1,
    contactPoints: [
      { orgId: ORG_ID, name: CONTACT_POINT, receivers: [{ uid: 'tokenledger-external-alertmanager', type: 'prometheus-alertmanager', settings: { url: alertmanagerUrl }, disableResolveMessage: false }] },
    ],
  };
}

/** Grafana's policy tree: everything to the Alertmanager, one alert per group (`...`); Alertmanager groups and routes. */
export function grafanaNotificationPolicies(): object {
  return {
    apiVersion: 1,
    policies: [{ orgId: ORG_ID, receiver: CONTACT_POINT, group_by: ['...'], group_wait: '0s', group_interval: '1m', repeat_interval: '4h' }],
  };
}
