import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataFrame, DataQueryRequest, DataSourceInstanceSettings, dateTime, FieldType } from '@grafana/data';
import { setBackendSrv, setTemplateSrv } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';
import {
  CLI,
  ledgerTotals,
  litellmLine,
  ServeProcess,
  tempDir,
  TEST_PRICES,
  waitFor,
} from '../../exporter/test/helpers';
import { toPicoUsd } from '../src/budgetCrossings';
import { OTHER_LABEL } from '../src/constants';
import { DataSource } from '../src/datasource';
import { stepSeconds } from '../src/queryParams';
import { fakeTemplateSrv } from '../src/__fixtures__/templateSrv';
import type { ChargebackOptions, ChargebackQuery, VariableQuery } from '../src/types';
import { ChargebackVariableSupport } from '../src/variables';
import { httpGet, proxiedRequest, proxyBackendSrv, proxyUrl, ProxiedDataSource } from './grafanaProxy';

/**
 * The real DataSource.query() against a real `tokenledger serve` on a loopback port, through an adapter that does
 * what Grafana's data proxy does with the plugin.json route (the token is added there, never by the plugin).
 * Expected numbers come from the ledger file itself (the exporter's test helper reads it after ingestion).
 */

const TOKEN = 'grafana-token-0123456789abcdef';
const RECORDS = 90;
const now = Date.now();
const monthStart = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), 1);
// The records lie in the current month (budgets look at the current period), at most the last 6 hours.
const firstMs = Math.max(monthStart, now - 6 * 3600_000);
const gapMs = Math.floor((now - 1000 - firstMs) / RECORDS);
const RANGE = { fromMs: monthStart, toMs: now + 3600_000 };

interface Line {
  id: string;
  status: string;
  startTime: number;
  endTime: number;
  metadata: { user_api_key_user_id: string };
}

/** The exporter's deterministic LiteLLM lines (3 users, 3 models, 2 tiers, 4 keys), moved into the current month. */
const records: Line[] = Array.from({ length: RECORDS }, (_, i) => {
  const line = JSON.parse(litellmLine(i)) as Line;
  const startMs = firstMs + i * gapMs;
  return { ...line, status: 'success', startTime: startMs / 1000, endTime: startMs / 1000 + 1 };
});

interface LedgerRow {
  user: string;
  model: string;
  requests: number;
  inputTokens: number;
  costUsd: string;
  chargeUsd: string;
}

const usd = (pico: bigint) => Number(pico) / 1e12;
const PICO = BigInt(1e12);
const usdText = (pico: bigint) => `${pico / PICO}.${(pico % PICO).toString().padStart(12, '0')}`;
const sumUsd = (rows: LedgerRow[], key: 'costUsd' | 'chargeUsd' = 'costUsd') =>
  rows.reduce((total, r) => total + toPicoUsd(r[key]), BigInt(0));
const users = (rows: LedgerRow[]) => [...new Set(rows.map((r) => r.user))].sort();

function configText(budgets: string): string {
  const sha256 = createHash('sha256').update(TOKEN).digest('hex');
  return `ledger: ledger.duckdb
prices: prices.yaml
listen: 127.0.0.1:0
poll_interval_ms: 50
sources:
  - { name: gw, paths: gw.log, format: litellm }
auth:
  tokens:
    - { name: grafana, sha256: ${sha256}, role: admin }
budgets:
${budgets}`;
}

function request<Q extends ChargebackQuery | VariableQuery>(
  targets: Q[],
  range = RANGE,
  intervalMs = 60_000
): DataQueryRequest<Q> {
  const timeRange = { from: dateTime(range.fromMs), to: dateTime(range.toMs), raw: { from: 'now-6h', to: 'now' } };
  // The data source reads range, targets, intervalMs and scopedVars; the rest of DataQueryRequest is for Grafana.
  return {
    targets,
    range: timeRange,
    intervalMs,
    interval: '1m',
    scopedVars: {},
    requestId: 'it',
    timezone: 'utc',
    app: 'dashboard',
    startTime: now,
  } as unknown as DataQueryRequest<Q>;
}

function dataSource(settings: ProxiedDataSource): DataSource {
  const instance = {
    id: 1,
    uid: settings.uid,
    type: 'tokenledger-chargeback-datasource',
    name: 'TokenLedger',
    url: proxyUrl(settings.uid),
    jsonData: settings.jsonData,
    meta: {},
    access: 'proxy',
    readOnly: false,
  };
  // Only uid, url and jsonData are read by the data source; the rest of the settings are Grafana's.
  return new DataSource(instance as unknown as DataSourceInstanceSettings<ChargebackOptions>);
}

function values(frame: DataFrame, name: string): unknown[] {
  const field = frame.fields.find((f) => f.name === name);
  if (!field) {
    throw new Error(`no field ${name} in ${frame.fields.map((f) => f.name).join(', ')}`);
  }
  return field.values;
}

describe('DataSource against a real tokenledger serve', () => {
  let serve: ServeProcess | undefined;
  let settings: ProxiedDataSource;
  let ds: DataSource;
  let badToken: DataSource;
  let unreachable: DataSource;
  let ledger: LedgerRow[];
  let alice: { costPico: bigint; lastMs: number };

  beforeAll(async () => {
    if (!existsSync(CLI)) {
      throw new Error(
        `${CLI} is missing: build the exporter first (\`npm run build -w exporter\`; the root \`npm test\` does it)`
      );
    }
    const dir = tempDir('tl-datasource-');
    writeFileSync(join(dir, 'prices.yaml'), TEST_PRICES);
    writeFileSync(join(dir, 'gw.log'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const config = join(dir, 'tokenledger.yaml');

    // 1. Ingest, stop, read the ledger file (DuckDB allows one process at a time).
    writeFileSync(config, configText('  []\n'));
    serve = await ServeProcess.start(config);
    // The exporter directly, with the token, as the route would send it.
    const api = async (path: string, server: ServeProcess) => {
      const { target, headers } = proxiedRequest(`${proxyUrl('tl')}/tokenledger/api/v1${path}`, [
        { uid: 'tl', jsonData: { url: server.baseUrl }, secureJsonData: { apiToken: TOKEN } },
      ]);
      return JSON.parse((await httpGet(target, headers)).body) as { records?: number };
    };
    const first = serve;
    await waitFor('every record in the ledger', async () =>
      (await api('/status', first)).records === RECORDS ? true : undefined
    );
    await serve.stop();
    ledger = ((await ledgerTotals(join(dir, 'ledger.duckdb'))) as { rows: LedgerRow[] }).rows;
    const aliceRows = ledger.filter((r) => r.user === 'alice@example.com');
    const aliceLines = records.filter((r) => r.metadata.user_api_key_user_id === 'alice@example.com');
    alice = { costPico: sumUsd(aliceRows), lastMs: Math.max(...aliceLines.map((r) => r.startTime * 1000)) };

    // 2. Serve the same ledger with a monthly budget of exactly what alice spent: 100 % is reached by her last request.
    writeFileSync(
      config,
      configText(
        `  - { scope: user, subject: alice@example.com, period: monthly, limit_usd: "${usdText(alice.costPico)}" }\n`
      )
    );
    serve = await ServeProcess.start(config);
    settings = { uid: 'tl', jsonData: { url: serve.baseUrl }, secureJsonData: { apiToken: TOKEN } };
    const withBadToken = { ...settings, uid: 'tl-bad-token', secureJsonData: { apiToken: 'wrong' } };
    // Port 9 (discard) on loopback: nothing listens there.
    const withNoExporter = { ...settings, uid: 'tl-unreachable', jsonData: { url: 'http://127.0.0.1:9' } };
    setBackendSrv(proxyBackendSrv([settings, withBadToken, withNoExporter]));
    ds = dataSource(settings);
    badToken = dataSource(withBadToken);
    unreachable = dataSource(withNoExporter);
  }, 120_000);

  afterAll(async () => serve?.stop());

  it('"Save & test" reports the ledger span, a bad token and an unreachable exporter', async () => {
    expect(await ds.testDatasource()).toEqual({
      status: 'success',
      message: expect.stringMatching(new RegExp(`^Connected to TokenLedger: ${RECORDS} records from `)),
    });
    expect(await badToken.testDatasource()).toEqual({
      status: 'error',
      message: expect.stringMatching(/^The exporter refused the API token \(401\): /),
    });
    expect(await unreachable.testDatasource()).toEqual({
      status: 'error',
      message: expect.stringMatching(/^Cannot reach the exporter \(502 Bad Gateway\)/),
    });
  });

  it("returns the breakdown by user and model with the ledger's numbers, as typed fields with units", async () => {
    const res = await ds.query(
      request([{ refId: 'A', queryType: 'breakdown', measure: 'all', groupBy: ['user', 'model'] }])
    );
    expect(res.errors).toBeUndefined();
    const [frame] = res.data as DataFrame[];
    const got = (values(frame!, 'user') as string[]).map((user, i) => ({
      user,
      model: values(frame!, 'model')[i],
      requests: values(frame!, 'requests')[i],
      inputTokens: values(frame!, 'inputTokens')[i],
      cost: values(frame!, 'costUsd')[i],
      charge: values(frame!, 'chargeUsd')[i],
    }));
    const expected = ledger.map((r) => ({
      user: r.user,
      model: r.model,
      requests: r.requests,
      inputTokens: r.inputTokens,
      cost: Number(r.costUsd),
      charge: Number(r.chargeUsd),
    }));
    expect(got).toEqual(expect.arrayContaining(expected));
    expect(got).toHaveLength(expected.length);
    const cost = frame!.fields.find((f) => f.name === 'costUsd')!;
    expect([cost.type, cost.config.unit, cost.config.displayName]).toEqual([FieldType.number, 'currencyUSD', 'Cost']);
    expect(frame!.fields.find((f) => f.name === 'user')!.type).toBe(FieldType.string);
    expect(frame!.fields.find((f) => f.name === 'requests')!.config.unit).toBe('short');
  });

  it('returns a top N with an "everyone else" row that holds the rest', async () => {
    const res = await ds.query(
      request([
        { refId: 'A', queryType: 'topN', measure: 'cost', groupBy: ['user'], limit: 1, other: true, sort: 'cost' },
      ])
    );
    const [frame] = res.data as DataFrame[];
    const byUser = users(ledger)
      .map((user) => ({ user, pico: sumUsd(ledger.filter((r) => r.user === user)) }))
      .sort((a, b) => (b.pico > a.pico ? 1 : -1));
    expect(values(frame!, 'user')).toEqual([byUser[0]!.user, OTHER_LABEL]);
    const rest = byUser.slice(1).reduce((total, u) => total + u.pico, BigInt(0));
    expect(values(frame!, 'costUsd')).toEqual([usd(byUser[0]!.pico), usd(rest)]);
  });

  it('interpolates a multi-value variable and "All" into filters', async () => {
    setTemplateSrv(
      fakeTemplateSrv([
        { name: 'user', value: ['alice@example.com', 'bob@example.com'] },
        { name: 'model', value: '$__all', options: ['gpt-4o'] },
      ])
    );
    const res = await ds.query(
      request([
        {
          refId: 'A',
          queryType: 'breakdown',
          measure: 'cost',
          groupBy: ['user'],
          filters: { user: ['$user'], model: ['$model'] },
        },
      ])
    );
    const [frame] = res.data as DataFrame[];
    const picked = ['alice@example.com', 'bob@example.com'];
    // "All" is no filter at all (not the variable's option list): every model counts.
    const expected = picked.map((user) => usd(sumUsd(ledger.filter((r) => r.user === user))));
    expect([...values(frame!, 'user')].sort()).toEqual(picked);
    expect(picked.map((user) => values(frame!, 'costUsd')[values(frame!, 'user').indexOf(user)])).toEqual(expected);
  });

  it("returns one time series frame per model whose points add up to the ledger's totals", async () => {
    const res = await ds.query(request([{ refId: 'B', queryType: 'timeseries', measure: 'cost', groupBy: ['model'] }]));
    const frames = res.data as DataFrame[];
    const models = [...new Set(ledger.map((r) => r.model))].sort();
    expect(frames.map((f) => f.name).sort()).toEqual(models);
    for (const frame of frames) {
      const [time, cost] = frame.fields;
      expect([time!.type, cost!.type, cost!.config.unit, cost!.config.displayNameFromDS]).toEqual([
        FieldType.time,
        FieldType.number,
        'currencyUSD',
        frame.name,
      ]);
      const total = (cost!.values as number[]).reduce((a, b) => a + b, 0);
      expect(total).toBeCloseTo(usd(sumUsd(ledger.filter((r) => r.model === frame.name))), 9);
    }
  });

  it("lists a dimension's values for a template variable, filtered by another variable", async () => {
    setTemplateSrv(fakeTemplateSrv([{ name: 'user', value: 'carol@example.com' }]));
    const variables = ds.variables as ChargebackVariableSupport;
    const all = await lastValueFrom(variables.query(request<VariableQuery>([{ refId: 'V', dimension: 'user' }])));
    expect(all.data[0].fields[0].values).toEqual(users(ledger));
    const carols = await lastValueFrom(
      variables.query(request<VariableQuery>([{ refId: 'V', dimension: 'model', filters: { user: ['$user'] } }]))
    );
    expect(carols.data[0].fields[0].values).toEqual(
      [...new Set(ledger.filter((r) => r.user === 'carol@example.com').map((r) => r.model))].sort()
    );
  });

  it('returns budgets, and annotates the threshold crossings where the ledger says they happened', async () => {
    const budgets = await ds.query(request([{ refId: 'C', queryType: 'budgets' }]));
    const [table] = budgets.data as DataFrame[];
    expect(values(table!, 'subject')).toEqual(['alice@example.com']);
    expect(values(table!, 'spentUsd')).toEqual([usd(alice.costPico)]);
    expect(values(table!, 'state')).toEqual(['exceeded']);

    const res = await ds.query(request([{ refId: 'D', queryType: 'budgetCrossings' }]));
    const [frame] = res.data as DataFrame[];
    expect(values(frame!, 'tags').map((tags) => (tags as string[])[1])).toEqual(['warning', 'critical', 'exceeded']);
    // The cost series runs from the period start, in steps chosen for that window.
    const stepMs = stepSeconds({ fromMs: monthStart, toMs: RANGE.toMs }, 60_000) * 1000;
    const times = values(frame!, 'time') as number[];
    expect(times[2]).toBe(Math.floor(alice.lastMs / stepMs) * stepMs);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it("shows the API's own error message for a query it refuses", async () => {
    const backwards = { fromMs: RANGE.toMs, toMs: RANGE.fromMs };
    const { target, headers } = proxiedRequest(
      `${proxyUrl('tl')}/tokenledger/api/v1/breakdown?from=${backwards.fromMs}&to=${backwards.toMs}`,
      [settings]
    );
    const answer = await httpGet(target, headers);
    expect(answer.status).toBe(400);
    const apiSays = (JSON.parse(answer.body) as { error: string }).error;
    const res = await ds.query(request([{ refId: 'A', queryType: 'breakdown' }], backwards));
    expect(res.errors).toEqual([{ refId: 'A', message: apiSays }]);
    expect(apiSays).not.toMatch(/unknown/i);
  });
});
