import { DataQueryRequest, DataSourceInstanceSettings, dateTime, FieldType } from '@grafana/data';
import { setBackendSrv, setTemplateSrv } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';
import { fakeBackendSrv, Reply } from './__fixtures__/backendSrv';
import { breakdown, budget, measures, timeSeries } from './__fixtures__/responses';
import { fakeTemplateSrv } from './__fixtures__/templateSrv';
import { DataSource } from './datasource';
import { ChargebackVariableSupport } from './variables';
import type { ChargebackOptions, ChargebackQuery, VariableQuery } from './types';

const PROXY = '/api/datasources/proxy/uid/tl';
const settings = (jsonData: ChargebackOptions = { url: 'http://tokenledger:9464' }) =>
  ({
    id: 1,
    uid: 'tl',
    type: 'tokenledger-chargeback-datasource',
    name: 'TokenLedger',
    url: PROXY,
    jsonData,
    meta: {},
    readOnly: false,
    access: 'proxy',
  }) as unknown as DataSourceInstanceSettings<ChargebackOptions>;

const FROM = Date.parse('2026-11-01T00:00:00Z');
const TO = Date.parse('2026-11-03T00:00:00Z');
function request<Q extends ChargebackQuery | VariableQuery>(targets: Q[]): DataQueryRequest<Q> {
  const range = { from: dateTime(FROM), to: dateTime(TO), raw: { from: 'now-2d', to: 'now' } };
  // The data source reads range, targets, intervalMs and scopedVars; the rest of DataQueryRequest is for Grafana.
  return {
    targets,
    range,
    intervalMs: 3600_000,
    interval: '1h',
    scopedVars: {},
    requestId: 'r',
    timezone: 'utc',
    app: 'dashboard',
    startTime: 0,
  } as unknown as DataQueryRequest<Q>;
}

function setup(reply: (url: string) => Reply, jsonData?: ChargebackOptions) {
  const fake = fakeBackendSrv(reply);
  setBackendSrv(fake.backendSrv);
  setTemplateSrv(
    fakeTemplateSrv([
      { name: 'user', value: ['alice@example.com', 'bob@example.com'] },
      { name: 'team', value: '$__all', options: ['a', 'b'] },
      { name: 'nobody', value: [] },
    ])
  );
  return { ds: new DataSource(settings(jsonData)), urls: fake.urls };
}

const ok = (data: unknown): Reply => ({ status: 200, data });

describe('DataSource.query', () => {
  it('asks for a breakdown through the proxy route, with interpolated filters, and returns a table frame', async () => {
    const { ds, urls } = setup(() => ok(breakdown));
    const res = await ds.query(
      request([
        {
          refId: 'A',
          queryType: 'breakdown',
          measure: 'cost',
          groupBy: ['user', 'model'],
          filters: { user: ['$user'], team: ['$team'] },
        },
      ])
    );
    expect(urls).toEqual([
      `${PROXY}/tokenledger/api/v1/breakdown?from=${FROM}&to=${TO}&user=alice%40example.com&user=bob%40example.com&groupBy=user%2Cmodel&sort=cost`,
    ]);
    expect(res.errors).toBeUndefined();
    expect(res.data).toHaveLength(1);
    expect(res.data[0].fields.map((f: { name: string }) => f.name)).toEqual(['user', 'model', 'costUsd', 'share']);
  });

  it('asks for a time series with the dashboard interval as step and returns one frame per series', async () => {
    const { ds, urls } = setup(() => ok(timeSeries));
    const res = await ds.query(
      request([{ refId: 'B', queryType: 'timeseries', measure: 'requests', groupBy: ['model'] }])
    );
    expect(urls[0]).toBe(`${PROXY}/tokenledger/api/v1/timeseries?from=${FROM}&to=${TO}&groupBy=model&step=3600`);
    expect(res.data.map((f: { name?: string }) => f.name)).toEqual(['gpt-4o', 'o4-mini']);
  });

  it("shows the API's error message for the failing query and still returns the others", async () => {
    const { ds } = setup((url) =>
      url.includes('/timeseries')
        ? { status: 400, data: { error: 'step: must be at least 1s', parameter: 'step' } }
        : ok(breakdown)
    );
    const res = await ds.query(
      request([
        { refId: 'A', queryType: 'topN', groupBy: ['user'] },
        { refId: 'B', queryType: 'timeseries' },
      ])
    );
    expect(res.errors).toEqual([{ refId: 'B', message: 'step: must be at least 1s' }]);
    expect(res.data.map((f: { refId?: string }) => f.refId)).toEqual(['A']);
  });

  it('skips hidden queries', async () => {
    const { ds, urls } = setup(() => ok(breakdown));
    await ds.query(request([{ refId: 'A', hide: true }]));
    expect(urls).toEqual([]);
  });

  it('answers a query whose filter variable stands for no value with no data, without asking the API', async () => {
    const { ds, urls } = setup(() => ok(breakdown));
    const res = await ds.query(
      request([
        { refId: 'A', queryType: 'breakdown', groupBy: ['user'], filters: { user: ['$nobody'] } },
        { refId: 'B', queryType: 'timeseries', filters: { user: ['$nobody'], team: ['$team'] } },
      ])
    );
    expect(urls).toEqual([]);
    expect(res.data.map((f: { refId?: string; fields: unknown[] }) => [f.refId, f.fields.length])).toEqual([
      ['A', 0],
      ['B', 0],
    ]);
  });

  it('returns budgets as a table', async () => {
    const { ds, urls } = setup(() => ok({ budgets: [budget] }));
    const res = await ds.query(request([{ refId: 'C', queryType: 'budgets' }]));
    expect(urls).toEqual([`${PROXY}/tokenledger/api/v1/budgets`]);
    expect(res.data[0].fields.find((f: { name: string }) => f.name === 'spentUsd').values).toEqual([412.5]);
  });

  it("annotates budget crossings from the subject's cumulative cost since the period start", async () => {
    const points = [
      { time: '2026-11-01T00:00:00.000Z', ...measures('300.000000000000', 1) },
      { time: '2026-11-02T00:00:00.000Z', ...measures('100.000000000000', 1) }, // 400 of 500: 80 %
    ];
    const { ds, urls } = setup((url) =>
      url.includes('/budgets') ? ok({ budgets: [budget] }) : ok({ stepSeconds: 3600, series: [{ points }] })
    );
    const res = await ds.query(request([{ refId: 'D', queryType: 'budgetCrossings' }]));
    expect(urls[1]).toBe(
      `${PROXY}/tokenledger/api/v1/timeseries?from=${Date.parse(budget.periodStart)}&to=${TO}&team=engineering&step=3600`
    );
    const frame = res.data[0];
    expect(frame.fields.map((f: { name: string; type: FieldType }) => f.name)).toEqual([
      'time',
      'title',
      'text',
      'tags',
    ]);
    expect(frame.fields[0].values).toEqual([Date.parse('2026-11-02T00:00:00Z')]);
    expect(frame.fields[1].values).toEqual(['team engineering: 80 % of the monthly budget']);
  });
});

describe('DataSource.testDatasource', () => {
  it('reports the ledger span on success', async () => {
    const { ds, urls } = setup(() =>
      ok({ status: 'ok', records: 3, firstRecord: '2026-11-01T10:00:00.000Z', lastRecord: '2026-11-02T11:30:00.000Z' })
    );
    expect(await ds.testDatasource()).toEqual({
      status: 'success',
      message: 'Connected to TokenLedger: 3 records from 2026-11-01 10:00 UTC to 2026-11-02 11:30 UTC.',
    });
    expect(urls).toEqual([`${PROXY}/tokenledger/api/v1/status`]);
  });

  it('reports a bad token and a missing URL clearly', async () => {
    const { ds } = setup(() => ({
      status: 401,
      data: { error: 'missing or invalid API token (send Authorization: Bearer <token>)' },
    }));
    expect(await ds.testDatasource()).toEqual({
      status: 'error',
      message:
        'The exporter refused the API token (401): missing or invalid API token (send Authorization: Bearer <token>)',
    });
    const { ds: unset, urls } = setup(() => ok({}), {});
    expect((await unset.testDatasource()).message).toMatch(/^Set the exporter URL/);
    expect(urls).toEqual([]);
  });
});

describe('variables', () => {
  it('lists the values of a dimension in the range, filtered through other variables', async () => {
    const { ds, urls } = setup(() => ok({ dimension: 'model', values: ['gpt-4o', 'o4-mini'] }));
    expect(ds.variables).toBeInstanceOf(ChargebackVariableSupport);
    const res = await lastValueFrom(
      (ds.variables as ChargebackVariableSupport).query(
        request<VariableQuery>([{ refId: 'V', dimension: 'model', filters: { user: ['$user'] } }])
      )
    );
    expect(urls).toEqual([
      `${PROXY}/tokenledger/api/v1/dimensions/model?from=${FROM}&to=${TO}&user=alice%40example.com&user=bob%40example.com`,
    ]);
    expect(res.data[0].fields[0].values).toEqual(['gpt-4o', 'o4-mini']);
  });

  it('lists no values when a filter variable stands for no value', async () => {
    const { ds, urls } = setup(() => ok({ dimension: 'model', values: ['gpt-4o'] }));
    const res = await lastValueFrom(
      (ds.variables as ChargebackVariableSupport).query(
        request<VariableQuery>([{ refId: 'V', dimension: 'model', filters: { user: ['$nobody'] } }])
      )
    );
    expect(urls).toEqual([]);
    expect(res.data[0].fields[0].values).toEqual([]);
  });
});
