import type { RuleGroupSpec, TemplateDialect } from './model';

/**
 * Health of the exporter itself, from its self-metrics. TokenLedgerExporterDown selects the exporter's scrape
 * job by name: by default this one (the docker-compose and test Prometheus use it); `--exporter-job` sets
 * another (a ServiceMonitor's, say). The other health alerts read the exporter's own metrics, whatever the job.
 */
export const DEFAULT_EXPORTER_JOB = 'tokenledger';

/**
 * `value` as a PromQL double-quoted string literal. PromQL unquotes like Go, which reads every escape
 * JSON.stringify writes (\" \\ \n \t \uXXXX ...); lone UTF-16 surrogates, which neither can carry as
 * UTF-8, are refused by {@link exporterJobMatcher} first.
 */
export function promqlString(value: string): string {
  return JSON.stringify(value);
}

/**
 * `job="<job>"`, after checking `job` is a label value Prometheus can hold: any non-empty UTF-8 text.
 * Throws an error naming the generator option otherwise.
 */
export function exporterJobMatcher(job: string): string {
  if (typeof job !== 'string' || job === '')
    throw new Error(
      `--exporter-job: the exporter's Prometheus job name must be a non-empty label value, got ${JSON.stringify(job)}`
    );
  if (/\p{Cs}/u.test(job))
    throw new Error(
      `--exporter-job: ${JSON.stringify(job)} is not valid Unicode (a lone surrogate), so not a Prometheus label value`
    );
  return `job=${promqlString(job)}`;
}

const exporter = (t: TemplateDialect) => `TokenLedger exporter ${t.label('instance')}`;

/** The exporter-health group, for an exporter Prometheus scrapes under job name `job`. */
export function exporterGroup(job: string): RuleGroupSpec {
  const up = `up{${exporterJobMatcher(job)}}`;
  return {
    name: 'tokenledger-exporter',
    recording: [],
    alerts: [
      {
        alert: 'TokenLedgerExporterDown',
        expr: `${up} == 0 or absent(${up})`,
        for: '2m',
        severity: 'critical',
        component: 'exporter',
        identity: ['job', 'instance'],
        dashboardLink: false,
        summary: (t) =>
          `${exporter(t)} (job ${t.label('job')}) is down or not scraped: no usage or health metrics from it, and no budget alerts unless another replica is up.`,
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
        summary: (t) =>
          `${exporter(t)} is ${t.value('duration')} behind on source ${t.label('source')}, and falling further behind.`,
      },
      {
        alert: 'TokenLedgerExporterLinesRejected',
        expr: 'increase(tokenledger_lines_rejected_total[10m]) > 0',
        severity: 'warning',
        component: 'exporter',
        identity: ['job', 'instance', 'reason'],
        dashboardLink: false,
        summary: (t) =>
          `${exporter(t)} rejected about ${t.value('count')} log lines in the last 10 minutes (reason ${t.label('reason')}); see its reject file.`,
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
}
