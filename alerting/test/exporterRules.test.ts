import { ExpectedAlert, InputSeries, promtoolTest, series } from './promtool';

/** `promtool test rules` for the exporter-health alerts: down, not ingesting, lag growing, rejected and unpriced lines. */

const RUNBOOKS = 'https://github.com/tokenledger/tokenledger/blob/main/alerting/runbooks';
const A = { job: 'tokenledger', instance: 'a:9464' };
const B = { job: 'tokenledger', instance: 'b:9464' };

function healthAlert(alert: string, severity: string, labels: Record<string, string>, summary: string): ExpectedAlert {
  return { exp_labels: { ...labels, severity, component: 'exporter' }, exp_annotations: { summary, runbook_url: `${RUNBOOKS}/${alert}.md` } };
}

function expectPasses(input_series: InputSeries[], checks: { at: string; alert: string; firing: ExpectedAlert[] }[]): void {
  const r = promtoolTest({ interval: '1m', input_series, alert_rule_test: checks.map((c) => ({ eval_time: c.at, alertname: c.alert, exp_alerts: c.firing })) });
  if (r.status !== 0) throw new Error(`promtool test rules failed:\n${r.output}`);
  expect(r.output).toContain('SUCCESS');
}

describe('exporter health alerts', () => {
  it('TokenLedgerExporterDown fires after 2m of failed scrapes', () => {
    const down = healthAlert('TokenLedgerExporterDown', 'critical', A, 'TokenLedger exporter a:9464 (job tokenledger) is down or not scraped: no budget or usage metrics, no budget alerts.');
    expectPasses([{ series: series('up', A), values: '1 0x10' }], [
      { at: '2m', alert: 'TokenLedgerExporterDown', firing: [] },
      { at: '3m', alert: 'TokenLedgerExporterDown', firing: [down] },
    ]);
  });

  it('TokenLedgerExporterDown fires when Prometheus has no tokenledger target at all', () => {
    const absent = healthAlert('TokenLedgerExporterDown', 'critical', { job: 'tokenledger' }, 'TokenLedger exporter  (job tokenledger) is down or not scraped: no budget or usage metrics, no budget alerts.');
    expectPasses([{ series: series('up', { job: 'other', instance: 'x' }), values: '1x10' }], [
      { at: '1m', alert: 'TokenLedgerExporterDown', firing: [] },
      { at: '3m', alert: 'TokenLedgerExporterDown', firing: [absent] },
    ]);
  });

  it('TokenLedgerExporterNotIngesting fires when log waits and nothing is committed for 5m, not for an idle exporter', () => {
    const stuck = healthAlert('TokenLedgerExporterNotIngesting', 'warning', A, 'TokenLedger exporter a:9464 has committed nothing for 11m 0s while 1000B of log wait to be read.');
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
      ],
    );
  });

  it('TokenLedgerExporterIngestLagGrowing fires when lag is over 5m and has grown for 10m, not while it shrinks', () => {
    const growing = { ...A, source: 'gw' };
    const lag = healthAlert('TokenLedgerExporterIngestLagGrowing', 'warning', growing, 'TokenLedger exporter a:9464 is 16m 0s behind on source gw, and falling further behind.');
    expectPasses(
      [
        { series: series('tokenledger_ingest_lag_seconds', growing), values: '0+60x30' },
        { series: series('tokenledger_ingest_lag_seconds', { ...A, source: 'catching-up' }), values: '1800-60x25' },
      ],
      [
        { at: '15m', alert: 'TokenLedgerExporterIngestLagGrowing', firing: [] },
        { at: '16m', alert: 'TokenLedgerExporterIngestLagGrowing', firing: [lag] },
      ],
    );
  });

  it('TokenLedgerExporterLinesRejected fires while rejected lines appear, by reason', () => {
    const invalid = { ...A, reason: 'invalid_json' };
    const rejected = healthAlert('TokenLedgerExporterLinesRejected', 'warning', invalid, 'TokenLedger exporter a:9464 rejected about 10 log lines in the last 10 minutes (reason invalid_json); see its reject file.');
    expectPasses(
      [
        { series: series('tokenledger_lines_rejected_total', invalid), values: '0x10 1+1x20' },
        { series: series('tokenledger_lines_rejected_total', { ...A, reason: 'missing_field' }), values: '0x30' },
      ],
      [
        { at: '10m', alert: 'TokenLedgerExporterLinesRejected', firing: [] },
        { at: '25m', alert: 'TokenLedgerExporterLinesRejected', firing: [rejected] },
      ],
    );
  });

  it('TokenLedgerExporterUnpricedRequests fires for a model\'s first unpriced requests and for more of them, not after a Prometheus restart', () => {
    const mystery = { ...A, model: 'mystery' };
    const unpriced = (total: string) =>
      healthAlert('TokenLedgerExporterUnpricedRequests', 'warning', mystery, `TokenLedger exporter a:9464 records requests for model mystery without a price (${total} unpriced so far); add the model to the price book.`);
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
      ],
    );
  });
});
