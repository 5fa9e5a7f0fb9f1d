import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { tempDir } from '../../exporter/test/helpers';
import { DEFAULT_OPTIONS, GENERATED_PATHS, generatedFiles } from '../src/generatedFiles';
import { ExpectedAlert, InputSeries, promtoolCheck, promtoolTest, RULE_FILE, series } from './promtool';

/** `promtool test rules` for the exporter-health alerts: down, not ingesting, lag growing, rejected and unpriced lines. */

const RUNBOOKS = 'https://github.com/tokenledger/tokenledger/blob/main/alerting/runbooks';
const A = { job: 'tokenledger', instance: 'a:9464' };
const B = { job: 'tokenledger', instance: 'b:9464' };

function healthAlert(alert: string, severity: string, labels: Record<string, string>, summary: string): ExpectedAlert {
  return {
    exp_labels: { ...labels, severity, component: 'exporter' },
    exp_annotations: { summary, runbook_url: `${RUNBOOKS}/${alert}.md` },
  };
}

function expectPasses(
  input_series: InputSeries[],
  checks: { at: string; alert: string; firing: ExpectedAlert[] }[],
  ruleFile = RULE_FILE
): void {
  const r = promtoolTest(
    {
      interval: '1m',
      input_series,
      alert_rule_test: checks.map((c) => ({ eval_time: c.at, alertname: c.alert, exp_alerts: c.firing })),
    },
    ruleFile
  );
  if (r.status !== 0) throw new Error(`promtool test rules failed:\n${r.output}`);
  expect(r.output).toContain('SUCCESS');
}

describe('exporter health alerts', () => {
  it('TokenLedgerExporterDown fires after 2m of failed scrapes', () => {
    const down = healthAlert(
      'TokenLedgerExporterDown',
      'critical',
      A,
      'TokenLedger exporter a:9464 (job tokenledger) is down or not scraped: no usage or health metrics from it, and no budget alerts unless another replica is up.'
    );
    expectPasses(
      [{ series: series('up', A), values: '1 0x10' }],
      [
        { at: '2m', alert: 'TokenLedgerExporterDown', firing: [] },
        { at: '3m', alert: 'TokenLedgerExporterDown', firing: [down] },
      ]
    );
  });

  it('TokenLedgerExporterDown fires when Prometheus has no tokenledger target at all', () => {
    const absent = healthAlert(
      'TokenLedgerExporterDown',
      'critical',
      { job: 'tokenledger' },
      'TokenLedger exporter  (job tokenledger) is down or not scraped: no usage or health metrics from it, and no budget alerts unless another replica is up.'
    );
    expectPasses(
      [{ series: series('up', { job: 'other', instance: 'x' }), values: '1x10' }],
      [
        { at: '1m', alert: 'TokenLedgerExporterDown', firing: [] },
        { at: '3m', alert: 'TokenLedgerExporterDown', firing: [absent] },
      ]
    );
  });

  it('TokenLedgerExporterNotIngesting fires when log waits and nothing is committed for 5m, not for an idle exporter', () => {
    const stuck = healthAlert(
      'TokenLedgerExporterNotIngesting',
      'warning',
      A,
      'TokenLedger exporter a:9464 has committed nothing for 11m 0s while 1000B of log wait to be read.'
    );
    expectPasses(
      [
        { series: series('tokenledger_last_checkpoint_timestamp_seconds', A), values: '0x20' },
        { series: series('tokenledger_ingest_backlog_bytes', { ...A, source: 'gw' }), values: '0x5 1000x15' },
        { series: series('tokenledger_last_checkpoint_timestamp_seconds', B), values: '0x20' },
        { series: series('tokenledger_ingest_backlog_bytes', { ...B, source: 'gw' }), values: '0x20' },
      ],
      [
        { at: '10m', alert: 'TokenLedgerExporterNotIngesting', firing: [] },
        { at: '11m', alert: 'TokenLedgerExporterNotIngesting', firing: [stuck] },
      ]
    );
  });

  it('TokenLedgerExporterIngestLagGrowing fires when lag is over 5m and has grown for 10m, not while it shrinks', () => {
    const growing = { ...A, source: 'gw' };
    const lag = healthAlert(
      'TokenLedgerExporterIngestLagGrowing',
      'warning',
      growing,
      'TokenLedger exporter a:9464 is 16m 0s behind on source gw, and falling further behind.'
    );
    expectPasses(
      [
        { series: series('tokenledger_ingest_lag_seconds', growing), values: '0+60x30' },
        { series: series('tokenledger_ingest_lag_seconds', { ...A, source: 'catching-up' }), values: '1800-60x25' },
      ],
      [
        { at: '15m', alert: 'TokenLedgerExporterIngestLagGrowing', firing: [] },
        { at: '16m', alert: 'TokenLedgerExporterIngestLagGrowing', firing: [lag] },
      ]
    );
  });

  it('TokenLedgerExporterLinesRejected fires while rejected lines appear, by reason', () => {
    const invalid = { ...A, reason: 'invalid_json' };
    const rejected = healthAlert(
      'TokenLedgerExporterLinesRejected',
      'warning',
      invalid,
      'TokenLedger exporter a:9464 rejected about 10 log lines in the last 10 minutes (reason invalid_json); see its reject file.'
    );
    expectPasses(
      [
        { series: series('tokenledger_lines_rejected_total', invalid), values: '0x10 1+1x20' },
        { series: series('tokenledger_lines_rejected_total', { ...A, reason: 'missing_field' }), values: '0x30' },
      ],
      [
        { at: '10m', alert: 'TokenLedgerExporterLinesRejected', firing: [] },
        { at: '25m', alert: 'TokenLedgerExporterLinesRejected', firing: [rejected] },
      ]
    );
  });

  it("TokenLedgerExporterUnpricedRequests fires for a model's first unpriced requests and for more of them, not after a Prometheus restart", () => {
    const mystery = { ...A, model: 'mystery' };
    const unpriced = (total: string) =>
      healthAlert(
        'TokenLedgerExporterUnpricedRequests',
        'warning',
        mystery,
        `TokenLedger exporter a:9464 records requests for model mystery without a price (${total} unpriced so far); add the model to the price book.`
      );
    expectPasses(
      [
        { series: series('up', A), values: '1x40' },
        { series: series('tokenledger_unpriced_requests_total', mystery), values: '_x15 3x12 5x10' },
        // b had unpriced requests before Prometheus started: history Prometheus never saw is no news
        { series: series('up', B), values: '1x40' },
        { series: series('tokenledger_unpriced_requests_total', { ...B, model: 'old' }), values: '3x40' },
      ],
      [
        { at: '14m', alert: 'TokenLedgerExporterUnpricedRequests', firing: [] },
        { at: '15m', alert: 'TokenLedgerExporterUnpricedRequests', firing: [unpriced('3')] },
        { at: '26m', alert: 'TokenLedgerExporterUnpricedRequests', firing: [] },
        { at: '28m', alert: 'TokenLedgerExporterUnpricedRequests', firing: [unpriced('5')] },
      ]
    );
  });
});

describe('with three replicas sharing one ledger: health alerts stay per replica', () => {
  const replica = (i: number) => ({
    job: 'tokenledger',
    namespace: 'llm',
    instance: `10.0.0.${i + 1}:9464`,
    pod: `tokenledger-${i}`,
    node: `gw-node-${i}`,
  });
  const [r0, r1, r2] = [replica(0), replica(1), replica(2)];
  const REPLICAS = [r0, r1, r2];

  it('TokenLedgerExporterDown fires for the dead replica only, while the others are up', () => {
    expectPasses(
      [
        { series: series('up', r0), values: '1x10' },
        { series: series('up', r1), values: '1 0x10' },
        { series: series('up', r2), values: '1x10' },
      ],
      [
        { at: '2m', alert: 'TokenLedgerExporterDown', firing: [] },
        {
          at: '3m',
          alert: 'TokenLedgerExporterDown',
          firing: [
            healthAlert(
              'TokenLedgerExporterDown',
              'critical',
              r1,
              'TokenLedger exporter 10.0.0.2:9464 (job tokenledger) is down or not scraped: no usage or health metrics from it, and no budget alerts unless another replica is up.'
            ),
          ],
        },
      ]
    );
  });

  it('TokenLedgerExporterLinesRejected and TokenLedgerExporterNotIngesting fire for the replica concerned only', () => {
    const invalid = { ...r2, reason: 'invalid_json' };
    expectPasses(
      REPLICAS.flatMap((r) => [
        {
          series: series('tokenledger_lines_rejected_total', { ...r, reason: 'invalid_json' }),
          values: r === r2 ? '0x10 1+1x20' : '0x30',
        },
        { series: series('tokenledger_last_checkpoint_timestamp_seconds', r), values: r === r0 ? '0x30' : '0+60x30' },
        { series: series('tokenledger_ingest_backlog_bytes', { ...r, source: 'gw' }), values: '1000x30' },
      ]),
      [
        {
          at: '25m',
          alert: 'TokenLedgerExporterLinesRejected',
          firing: [
            healthAlert(
              'TokenLedgerExporterLinesRejected',
              'warning',
              invalid,
              'TokenLedger exporter 10.0.0.3:9464 rejected about 10 log lines in the last 10 minutes (reason invalid_json); see its reject file.'
            ),
          ],
        },
        {
          at: '11m',
          alert: 'TokenLedgerExporterNotIngesting',
          firing: [
            healthAlert(
              'TokenLedgerExporterNotIngesting',
              'warning',
              r0,
              'TokenLedger exporter 10.0.0.1:9464 has committed nothing for 11m 0s while 1000B of log wait to be read.'
            ),
          ],
        },
      ]
    );
  });
});

describe('TokenLedgerExporterDown for another scrape job (--exporter-job)', () => {
  /** The rule file generated with `--exporter-job job`, written where promtool reads it. */
  function ruleFileFor(job: string): string {
    const file = join(tempDir('tl-exporter-job-'), 'tokenledger.rules.yml');
    writeFileSync(file, generatedFiles({ ...DEFAULT_OPTIONS, exporterJob: job })[GENERATED_PATHS.ruleFile]!);
    return file;
  }
  const downAlert = (labels: Record<string, string>) =>
    healthAlert(
      'TokenLedgerExporterDown',
      'critical',
      labels,
      `TokenLedger exporter ${labels.instance ?? ''} (job ${labels.job}) is down or not scraped: no usage or health metrics from it, and no budget alerts unless another replica is up.`
    );

  // A ServiceMonitor's job name; a default-named job is down as well, and is not the exporter's.
  const SERVICE_MONITOR = 'monitoring/tokenledger';
  const custom = { job: SERVICE_MONITOR, instance: '10.0.0.7:9464' };
  const other = { job: 'tokenledger', instance: 'old:9464' };

  it('fires when the custom job is down, not for a down job named tokenledger', () => {
    expectPasses(
      [
        { series: series('up', custom), values: '1 0x10' },
        { series: series('up', other), values: '0x10' },
      ],
      [
        { at: '2m', alert: 'TokenLedgerExporterDown', firing: [] },
        { at: '3m', alert: 'TokenLedgerExporterDown', firing: [downAlert(custom)] },
      ],
      ruleFileFor(SERVICE_MONITOR)
    );
  });

  it('fires when Prometheus has no target of the custom job, even while a tokenledger job is up', () => {
    expectPasses(
      [{ series: series('up', other), values: '1x10' }],
      [
        { at: '1m', alert: 'TokenLedgerExporterDown', firing: [] },
        { at: '3m', alert: 'TokenLedgerExporterDown', firing: [downAlert({ job: SERVICE_MONITOR })] },
      ],
      ruleFileFor(SERVICE_MONITOR)
    );
  });

  it('stays silent while the custom job is up, where the default rules would fire for their absent job', () => {
    const input = [{ series: series('up', custom), values: '1x10' }];
    const checks = [{ at: '5m', alert: 'TokenLedgerExporterDown', firing: [] }];
    expectPasses(input, checks, ruleFileFor(SERVICE_MONITOR));
    // the same check against the committed (job tokenledger) rules fails: the test can tell the two apart
    const r = promtoolTest({
      interval: '1m',
      input_series: input,
      alert_rule_test: checks.map((c) => ({ eval_time: c.at, alertname: c.alert, exp_alerts: c.firing })),
    });
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('TokenLedgerExporterDown');
  });

  it('quotes the job name in PromQL: quotes, backslashes and `tokenledger:` in it select exactly that job, in Prometheus and in Grafana', () => {
    const odd = 'team "a"\\b tokenledger:x';
    const labels = { job: odd, instance: 'c:9464' };
    const files = generatedFiles({ ...DEFAULT_OPTIONS, exporterJob: odd });
    expect(files[GENERATED_PATHS.ruleFile]).toContain(String.raw`up{job="team \"a\"\\b tokenledger:x"} == 0`);
    expectPasses(
      [
        { series: series('up', labels), values: '0x10' },
        { series: series('up', { ...labels, job: 'team "a"' }), values: '1x10' },
      ],
      [{ at: '3m', alert: 'TokenLedgerExporterDown', firing: [downAlert(labels)] }],
      ruleFileFor(odd)
    );
    // Grafana's query A keeps the literal as it is (no recording rule inlined into it) and parses.
    const grafana = parse(files[GENERATED_PATHS.grafanaRules]!) as {
      groups: { rules: { title: string; data: { refId: string; model: { expr?: string } }[] }[] }[];
    };
    const expr = grafana.groups
      .flatMap((g) => g.rules)
      .find((r) => r.title === 'TokenLedgerExporterDown')!
      .data.find((q) => q.refId === 'A')!.model.expr!;
    expect(expr).toContain(String.raw`absent(up{job="team \"a\"\\b tokenledger:x"})`);
    const file = join(tempDir('tl-exporter-job-'), 'grafana-query.yml');
    writeFileSync(file, stringify({ groups: [{ name: 'q', rules: [{ record: 'grafana_query', expr }] }] }));
    expect(promtoolCheck(file).status).toBe(0);
  });

  it.each([
    { job: '', problem: 'empty' },
    { job: 'tokenledger\ud800', problem: 'a lone surrogate' },
  ])('refuses a job name that is no label value ($problem), naming the option', ({ job }) => {
    expect(() => generatedFiles({ ...DEFAULT_OPTIONS, exporterJob: job })).toThrow(/^--exporter-job: /);
  });
});
