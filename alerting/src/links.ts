import type { AlertSpec, LinkOptions, TemplateDialect } from './model';

/** Defaults: the docker-compose Grafana, and the runbooks in this repository. */
export const DEFAULT_LINKS: LinkOptions = {
  grafanaUrl: 'http://localhost:3000',
  runbookUrl: 'https://github.com/tokenledger/tokenledger/blob/main/alerting/runbooks',
};

/** Uid and slug of the Grafana budgets dashboard (dashboards/), filtered by its `scope` and `subject` variables. */
export const BUDGETS_DASHBOARD = { uid: 'tokenledger-budgets', slug: 'tokenledger-budgets' };

export function runbookUrl(links: LinkOptions, alert: string): string {
  return `${trimSlash(links.runbookUrl)}/${alert}.md`;
}

export function dashboardUrl(links: LinkOptions, t: TemplateDialect): string {
  const subjectParams = `var-scope=${t.label('scope', 'url')}&var-subject=${t.label('subject', 'url')}`;
  return `${trimSlash(links.grafanaUrl)}/d/${BUDGETS_DASHBOARD.uid}/${BUDGETS_DASHBOARD.slug}?${subjectParams}`;
}

/** The annotations every target attaches to an alert: summary, runbook and (for budgets) dashboard links. */
export function annotations(alert: AlertSpec, links: LinkOptions, t: TemplateDialect): Record<string, string> {
  return {
    summary: alert.summary(t),
    runbook_url: runbookUrl(links, alert.alert),
    ...(alert.dashboardLink ? { dashboard_url: dashboardUrl(links, t) } : {}),
  };
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
