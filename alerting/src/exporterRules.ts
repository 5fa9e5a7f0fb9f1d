import type { RuleGroupSpec, TemplateDialect } from './model';

/**
 * Health of the exporter itself, from its self-metrics. Prometheus must scrape it under this job name (the
 * docker-compose and test Prometheus do).
 */
export const EXPORTER_JOB = 'tokenledger';

const exporter = (t: TemplateDialect) => `TokenLedger exporter ${t.label('instance')}`;

export const EXPORTER_GROUP: RuleGroupSpec = {
  name: 'tokenledger-exporter',
  recording: [],
  alerts: [
    {
      alert: 'TokenLedgerExporterDown',
      expr: `up{job="${EXPORTER_JOB}"} == 0 or absent(up{job="${EXPORTER_JOB}"})`,
      for: '2m',
      severity: 'critical',
      component: 'exporter',
      identity: ['job', 'instance'],
      dashboardLink: false,
      summary: (t) => `${exporter(t)} (job ${t.label('job')}) is down or not scraped: no budget or usage metrics, no budget alerts.`,
    },
    {
      alert: 'TokenLedgerExporterNotIngesting',
      // Idle gateways commit nothing either: only unread bytes waiting make an old checkpoint a problem.
      expr: 'time() - tokenledger_last_checkpoint_timestamp_seconds > 300\nand on(job, instance)\nsum by (job, instance) (tokenledger_ingest_backlog_bytes) > 0',
      for: '5m',
      severity: 'warning',
      component: 'exporter',
      identity: ['job', 'instance'],
      dashboardLink: false,
      summary: (t) =>
        `${exporter(t)} has committed nothing for ${t.value('duration')} while ` +
        `${t.sample('bytes', 'tokenledger_ingest_backlog_bytes', { wrap: (s) => `sum by (job, instance) (${s})` })}B of log wait to be read.`,
    },
    {
      alert: 'TokenLedgerExporterIngestLagGrowing',
      expr: 'tokenledger_ingest_lag_seconds > 300\nand\nderiv(tokenledger_ingest_lag_seconds[10m]) > 0',
      for: '10m',
      severity: 'warning',
      component: 'exporter',
      identity: ['job', 'instance', 'source'],
      dashboardLink: false,
      summary: (t) => `${exporter(t)} is ${t.value('duration')} behind on source ${t.label('source')}, and falling further behind.`,
    },
    {
      alert: 'TokenLedgerExporterLinesRejected',
      expr: 'increase(tokenledger_lines_rejected_total[10m]) > 0',
      severity: 'warning',
      component: 'exporter',
      identity: ['job', 'instance', 'reason'],
      dashboardLink: false,
      summary: (t) => `${exporter(t)} rejected about ${t.value('count')} log lines in the last 10 minutes (reason ${t.label('reason')}); see its reject file.`,
    },
    {
      alert: 'TokenLedgerExporterUnpricedRequests',
      // The second branch catches a model's first unpriced requests (a new series, which increase() misses),
      // but only where Prometheus already scraped the exporter 10 minutes ago (not after its own restart).
      expr: [
        'increase(tokenledger_unpriced_requests_total[10m]) > 0',
        'or',
        '(tokenledger_unpriced_requests_total unless tokenledger_unpriced_requests_total offset 10m)',
        '  and on(job, instance) (up offset 10m) == 1',
      ].join('\n'),
      severity: 'warning',
      component: 'exporter',
      identity: ['job', 'instance', 'model'],
      dashboardLink: false,
      summary: (t) =>
        `${exporter(t)} records requests for model ${t.label('model')} without a price ` +
        `(${t.sample('count', 'tokenledger_unpriced_requests_total')} unpriced so far); add the model to the price book.`,
    },
  ],
};
