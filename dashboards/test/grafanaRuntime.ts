/**
 * What Grafana does around a data source's query() for a dashboard panel, for the chargeback-query test: the
 * runtime services (BackendSrv through the plugin.json route, TemplateSrv with the dashboard's variables), the
 * panel's time range (dashboard range, or the panel's relative-time override) and the request object.
 * The proxy adapter and the fake TemplateSrv are the datasource plugin's own test code, imported.
 */
import { DataQueryRequest, DataSourceInstanceSettings, dateMath, DateTime, rangeUtil, TimeRange } from '@grafana/data';
import { setBackendSrv, setTemplateSrv } from '@grafana/runtime';
import { fakeTemplateSrv, FakeVariable } from '../../datasource-plugin/src/__fixtures__/templateSrv';
import { DataSource } from '../../datasource-plugin/src/datasource';
import type { ChargebackOptions } from '../../datasource-plugin/src/types';
import { proxyBackendSrv, proxyUrl, ProxiedDataSource } from '../../datasource-plugin/tests/grafanaProxy';
import { Panel } from './dashboardFiles';

export function installRuntime(dataSources: ProxiedDataSource[], variables: FakeVariable[]): void {
  setBackendSrv(proxyBackendSrv(dataSources));
  setTemplateSrv(fakeTemplateSrv(variables));
}

/** The plugin's DataSource as Grafana builds it from provisioned settings (proxy access: url is the proxy path). */
export function chargebackDataSource(settings: ProxiedDataSource, type: string): DataSource {
  const instance = {
    id: 1,
    uid: settings.uid,
    type,
    name: settings.uid,
    url: proxyUrl(settings.uid),
    jsonData: settings.jsonData,
    meta: {},
    access: 'proxy',
    readOnly: false,
  };
  // The data source reads uid, url and jsonData; the rest of DataSourceInstanceSettings is Grafana's own.
  return new DataSource(instance as unknown as DataSourceInstanceSettings<ChargebackOptions>);
}

function parse(text: string, roundUp: boolean): DateTime {
  const t = dateMath.parse(text, roundUp);
  if (!t?.isValid()) throw new Error(`cannot read time ${text}`);
  return t;
}

/** The range a panel queries now: the dashboard's, or its `timeFrom` override ("now/M", "now-1M/M", "7d"). */
export function panelRange(
  dashboardTime: { from: string; to: string },
  panel: Pick<Panel, 'timeFrom' | 'timeShift'> | undefined
): TimeRange {
  if (panel?.timeShift) throw new Error('panel timeShift is not supported by this test');
  const raw = panel?.timeFrom ? rangeUtil.describeTextRange(panel.timeFrom) : dashboardTime;
  return { from: parse(raw.from, false), to: parse(raw.to, true), raw: { from: raw.from, to: raw.to } };
}

/** The request Grafana sends for `targets` over `range` (about 1,000 points wide). */
export function dataRequest<Q>(targets: Q[], range: TimeRange): DataQueryRequest<Q & { refId: string }> {
  const { interval, intervalMs } = rangeUtil.calculateInterval(range, 1000);
  // query() reads targets, range, intervalMs and scopedVars; the rest of DataQueryRequest is Grafana's bookkeeping.
  return {
    targets,
    range,
    interval,
    intervalMs,
    scopedVars: {},
    requestId: 'dashboards-test',
    timezone: 'utc',
    app: 'dashboard',
    startTime: Date.now(),
  } as unknown as DataQueryRequest<Q & { refId: string }>;
}
