import express from 'express';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthConfig, hashToken, OPEN_AUTH } from '../auth/apiTokens';
import { Budget, NOT_ENFORCED } from '../budgets/budgets';
import { BudgetTracker } from '../budgets/budgetTracker';
import { batchOf } from '../../test/ledgerContract';
import { DuckDbLedger } from '../ledger/duckdb/duckDbLedger';
import type { Ledger } from '../ledger/ledger';
import type { Logger } from '../log';
import { parseDecimal } from '../money';
import { DEFAULT_PRICING_EXTRAS, NO_TOKENS, PricedRecord } from '../types';
import { repriceRunJson } from '../ledger/reprice';
import { chargebackApi } from './router';

// The chargeback API in process: the real router on 127.0.0.1 over a real DuckDB ledger holding four requests
// committed through Ledger.commitBatch. Every expected number below is summed by hand from these four.

const T0 = Date.parse('2026-01-01T00:00:00Z');
const HOUR = 3_600_000;
const USD = 1_000_000_000_000n;

function record(
  id: string,
  who: { user: string; key: string; team: string; tier: string },
  model: string,
  startMs: number,
  input: number,
  output: number,
  costUsd: bigint | undefined,
  chargeUsd: bigint | undefined,
  status: PricedRecord['status'] = 'success'
): PricedRecord {
  return {
    requestId: id,
    startMs,
    durationMs: 500,
    user: who.user,
    apiKeyId: undefined,
    apiKeyAlias: who.key,
    team: who.team,
    tier: who.tier,
    model,
    provider: undefined,
    status,
    httpStatus: undefined,
    tokens: { ...NO_TOKENS, inputUncached: input, cacheRead: 0, cacheWrite: 0, output },
    ...DEFAULT_PRICING_EXTRAS,
    modelRequested: undefined,
    reportedCostPusd: undefined,
    feePusd: undefined,
    pricedModel: undefined,
    source: 'litellm',
    costPusd: costUsd === undefined ? undefined : costUsd * USD,
    chargePusd: chargeUsd === undefined ? undefined : chargeUsd * USD,
    priceVersion: costUsd === undefined ? undefined : 'v1',
  };
}

const ANN = { user: 'ann', key: 'k1', team: 't1', tier: 'standard' };
const BOB = { user: 'bob', key: 'k2', team: 't1', tier: 'gold' };
const CAT = { user: 'cat', key: 'k3', team: 't2', tier: 'standard' };
const RECORDS = [
  // Its 2 USD include a fee of 0.50 (a web search); the gateway said 1.50.
  { ...record('a', ANN, 'm1', T0, 10, 5, 2n, 3n), feePusd: USD / 2n, reportedCostPusd: (3n * USD) / 2n },
  // The gateway agrees.
  { ...record('b', BOB, 'm2', T0 + HOUR, 20, 10, 1n, 1n, 'failure'), reportedCostPusd: USD },
  // An interrupted stream: the input it logged, no usage report, no price; the gateway priced it at 0.25.
  {
    ...record('c', CAT, 'm1', T0 + 25 * HOUR, 30, 0, undefined, undefined),
    usageReported: false,
    reportedCostPusd: USD / 4n,
  },
  record('d', ANN, 'm2', T0 + 2 * HOUR, 40, 20, 4n, 4n),
];

/** A report row as the API writes it, from the sums worked out by hand. */
function row(
  dims: Record<string, string>,
  r: {
    requests: number;
    failed?: number;
    input: number;
    output: number;
    cost: string;
    charge: string;
    margin: string;
    unpriced?: number;
    fee?: string;
    unreported?: number;
  }
) {
  return {
    ...dims,
    requests: r.requests,
    failedRequests: r.failed ?? 0,
    inputTokens: r.input,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    outputTokens: r.output,
    reasoningTokens: 0,
    costUsd: r.cost,
    chargeUsd: r.charge,
    marginUsd: r.margin,
    unpricedRequests: r.unpriced ?? 0,
    feeUsd: r.fee ?? '0.000000000000',
    unreportedRequests: r.unreported ?? 0,
  };
}

const TOTAL = row(
  {},
  {
    requests: 4,
    failed: 1,
    input: 100,
    output: 35,
    cost: '7.000000000000',
    charge: '8.000000000000',
    margin: '1.000000000000',
    unpriced: 1,
    fee: '0.500000000000',
    unreported: 1,
  }
);
const ANN_ROW = row(
  { user: 'ann' },
  {
    requests: 2,
    input: 50,
    output: 25,
    cost: '6.000000000000',
    charge: '7.000000000000',
    margin: '1.000000000000',
    fee: '0.500000000000',
  }
);
const BOB_ROW = row(
  { user: 'bob' },
  {
    requests: 1,
    failed: 1,
    input: 20,
    output: 10,
    cost: '1.000000000000',
    charge: '1.000000000000',
    margin: '0.000000000000',
  }
);
const CAT_SUMS = {
  requests: 1,
  input: 30,
  output: 0,
  cost: '0.000000000000',
  charge: '0.000000000000',
  margin: '0.000000000000',
  unpriced: 1,
  unreported: 1,
};
const CAT_ROW = row({ user: 'cat' }, CAT_SUMS);
const RANGE = `from=${T0}&to=${T0 + 48 * HOUR}`;

const TOKENS = {
  admin: 'admin-token-0123456789',
  eng: 'eng-token-0123456789',
  cat: 'cat-token-0123456789',
  none: 'none-token-0123456789',
  gateway: 'gateway-token-0123456789',
};
const REQUIRED_AUTH: AuthConfig = {
  api: 'required',
  metrics: 'required',
  tokens: [
    { name: 'admin', sha256: Buffer.from(hashToken(TOKENS.admin), 'hex'), role: 'admin', scope: undefined },
    { name: 'eng', sha256: Buffer.from(hashToken(TOKENS.eng), 'hex'), role: 'scoped', scope: { team: 't1' } },
    { name: 'cat', sha256: Buffer.from(hashToken(TOKENS.cat), 'hex'), role: 'scoped', scope: { user: 'cat' } },
    { name: 'none', sha256: Buffer.from(hashToken(TOKENS.none), 'hex'), role: 'scoped', scope: { team: 'nobody' } },
    { name: 'gateway', sha256: Buffer.from(hashToken(TOKENS.gateway), 'hex'), role: 'ingest', scope: undefined },
  ],
};

const budget = (scope: Budget['scope'], subject: string, limitUsd: bigint): Budget => ({
  scope,
  subject,
  period: 'daily',
  limitPusd: limitUsd * USD,
  thresholds: { warning: parseDecimal('0.8'), critical: parseDecimal('0.95'), exceeded: parseDecimal('1') },
  ...NOT_ENFORCED,
});

describe('chargeback API', () => {
  let dir: string;
  let ledger: Ledger;
  let server: Server;
  let base: string;
  let auth: AuthConfig = OPEN_AUTH;
  let budgets: BudgetTracker;
  const errors: string[] = [];
  const log: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: (m) => errors.push(m) };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tl-api-'));
    ledger = await DuckDbLedger.open(join(dir, 'l.duckdb'), { node: 'test' });
    await ledger.commitBatch(batchOf(ledger, RECORDS));
    // 03:00 on the first day: ann's and bob's requests are in the daily period, cat's (the next day) is not.
    budgets = new BudgetTracker(
      ledger,
      [
        budget('team', 't1', 10n),
        budget('user', 'ann', 5n),
        budget('team', 't2', 1n),
        budget('team', 'cat', 1n),
        budget('user', 'cat', 1n),
      ],
      'UTC',
      () => T0 + 3 * HOUR
    );
    const app = express();
    app.use('/api/v1', chargebackApi({ ledger, budgets, auth: () => auth, log }));
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    auth = OPEN_AUTH;
    errors.length = 0;
  });

  async function get(
    path: string,
    token?: string
  ): Promise<{ status: number; body: unknown; headers: Headers; text: string }> {
    const res = await fetch(base + path, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.status, body, headers: res.headers, text };
  }

  describe('breakdown', () => {
    it("sums each group and the total, sorted by cost, with each group's share of the total cost", async () => {
      const r = await get(`/breakdown?${RANGE}&groupBy=user`);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        from: '2026-01-01T00:00:00.000Z',
        to: '2026-01-03T00:00:00.000Z',
        groupBy: ['user'],
        sort: 'cost',
        rows: [
          { ...ANN_ROW, share: 0.857143 },
          { ...BOB_ROW, share: 0.142857 },
          { ...CAT_ROW, share: 0 },
        ],
        total: TOTAL,
      });
    });

    it('sorts by tokens and gives shares of the total tokens, ties in name order', async () => {
      const r = await get(`/breakdown?${RANGE}&groupBy=user&sort=tokens`);
      expect(r.body).toMatchObject({
        sort: 'tokens',
        rows: [
          { ...ANN_ROW, share: 0.555556 },
          { ...BOB_ROW, share: 0.222222 },
          { ...CAT_ROW, share: 0.222222 },
        ],
      });
    });

    it('gives the total only when nothing is grouped', async () => {
      expect((await get(`/breakdown?${RANGE}`)).body).toEqual({
        from: '2026-01-01T00:00:00.000Z',
        to: '2026-01-03T00:00:00.000Z',
        groupBy: [],
        sort: 'cost',
        rows: [],
        total: TOTAL,
      });
    });

    it('adds an __other__ row with what the limit left out when asked to', async () => {
      const other = row(
        { user: '__other__' },
        {
          requests: 2,
          failed: 1,
          input: 50,
          output: 10,
          cost: '1.000000000000',
          charge: '1.000000000000',
          margin: '0.000000000000',
          unpriced: 1,
          unreported: 1,
        }
      );
      expect((await get(`/breakdown?${RANGE}&groupBy=user&limit=1&other=true`)).body).toMatchObject({
        rows: [
          { ...ANN_ROW, share: 0.857143 },
          { ...other, share: 0.142857 },
        ],
        total: TOTAL,
      });
      expect((await get(`/breakdown?${RANGE}&groupBy=user&limit=1`)).body).toMatchObject({
        rows: [{ ...ANN_ROW, share: 0.857143 }],
      });
    });

    it('adds no __other__ row when the limit left nothing out', async () => {
      const all = [
        { ...ANN_ROW, share: 0.857143 },
        { ...BOB_ROW, share: 0.142857 },
        { ...CAT_ROW, share: 0 },
      ];
      expect((await get(`/breakdown?${RANGE}&groupBy=user&limit=3&other=true`)).body).toMatchObject({ rows: all });
      expect((await get(`/breakdown?${RANGE}&groupBy=user&limit=4&other=1`)).body).toMatchObject({ rows: all });
    });

    it('gives a share of 0, not a division by zero, when the total to share is 0', async () => {
      expect((await get(`/breakdown?${RANGE}&groupBy=user&user=cat`)).body).toMatchObject({
        rows: [{ ...CAT_ROW, share: 0 }],
        total: row({}, CAT_SUMS),
      });
    });

    it('writes CSV with the group columns, the measures and the share, named after the range', async () => {
      const r = await get(`/breakdown?${RANGE}&groupBy=user&format=csv`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(r.headers.get('content-disposition')).toBe(
        'attachment; filename="tokenledger-chargeback-2026-01-01-2026-01-03.csv"'
      );
      expect(r.text).toBe(
        'user,requests,failedRequests,inputTokens,cacheReadTokens,cacheWriteTokens,outputTokens,reasoningTokens,costUsd,chargeUsd,marginUsd,unpricedRequests,feeUsd,unreportedRequests,share\n' +
          'ann,2,0,50,0,0,25,0,6.000000000000,7.000000000000,1.000000000000,0,0.500000000000,0,0.857143\n' +
          'bob,1,1,20,0,0,10,0,1.000000000000,1.000000000000,0.000000000000,0,0.000000000000,0,0.142857\n' +
          'cat,1,0,30,0,0,0,0,0.000000000000,0.000000000000,0.000000000000,1,0.000000000000,1,0\n'
      );
    });

    it('refuses a format other than json or csv, and parameters it does not take', async () => {
      expect(await get(`/breakdown?${RANGE}&format=xml`)).toMatchObject({
        status: 400,
        body: { error: 'format: expected json or csv', parameter: 'format' },
      });
      expect(await get(`/breakdown?${RANGE}&step=1h`)).toMatchObject({
        status: 400,
        body: {
          error:
            'step: unknown parameter; expected one of from, to, groupBy, sort, limit, other, format, user, apiKey, team, tier, model',
          parameter: 'step',
        },
      });
    });

    it('filters by every dimension it is given', async () => {
      expect((await get(`/breakdown?${RANGE}&groupBy=user&team=t1&model=m2`)).body).toMatchObject({
        rows: [
          { user: 'ann', requests: 1, costUsd: '4.000000000000', share: 0.8 },
          { user: 'bob', requests: 1, costUsd: '1.000000000000', share: 0.2 },
        ],
      });
    });
  });

  describe('reconciliation', () => {
    // Day 1: m1 is ann's `a` (ours 2, the gateway's 1.50), m2 bob's `b` (1 and 1; `d` has no gateway cost).
    // Day 2: cat's `c`, unreported and unpriced, that the gateway priced at 0.25.
    const A = {
      model: 'm1',
      day: '2026-01-01',
      requests: 1,
      costUsd: '2.000000000000',
      gatewayCostUsd: '1.500000000000',
      differenceUsd: '0.500000000000',
      differenceRatio: '0.333333',
      gatewayUnpricedRequests: 0,
      unreportedRequests: 0,
    };
    const B = {
      model: 'm2',
      day: '2026-01-01',
      requests: 1,
      costUsd: '1.000000000000',
      gatewayCostUsd: '1.000000000000',
      differenceUsd: '0.000000000000',
      differenceRatio: '0.000000',
      gatewayUnpricedRequests: 0,
      unreportedRequests: 0,
    };
    const C = {
      model: 'm1',
      day: '2026-01-02',
      requests: 0,
      costUsd: '0.000000000000',
      gatewayCostUsd: '0.000000000000',
      differenceUsd: '0.000000000000',
      differenceRatio: '',
      gatewayUnpricedRequests: 1,
      unreportedRequests: 1,
    };

    it("gives our cost against the gateway's per model and day, per model and in total", async () => {
      const r = await get(`/reconciliation?${RANGE}`);
      expect(r.status).toBe(200);
      const { day: _a, ...m1 } = A;
      const { day: _b, ...m2 } = B;
      expect(r.body).toEqual({
        from: '2026-01-01T00:00:00.000Z',
        to: '2026-01-03T00:00:00.000Z',
        rows: [A, C, B],
        models: [{ ...m1, gatewayUnpricedRequests: 1, unreportedRequests: 1 }, m2],
        total: {
          requests: 2,
          costUsd: '3.000000000000',
          gatewayCostUsd: '2.500000000000',
          differenceUsd: '0.500000000000',
          differenceRatio: '0.200000',
          gatewayUnpricedRequests: 1,
          unreportedRequests: 1,
        },
      });
    });

    it('writes CSV like the chargeback CSV, filters and keeps to the scope of a token', async () => {
      const r = await get(`/reconciliation?${RANGE}&format=csv`);
      expect(r.headers.get('content-disposition')).toBe(
        'attachment; filename="tokenledger-reconciliation-2026-01-01-2026-01-03.csv"'
      );
      expect(r.text).toBe(
        'model,day,requests,costUsd,gatewayCostUsd,differenceUsd,differenceRatio,gatewayUnpricedRequests,unreportedRequests\n' +
          'm1,2026-01-01,1,2.000000000000,1.500000000000,0.500000000000,0.333333,0,0\n' +
          'm1,2026-01-02,0,0.000000000000,0.000000000000,0.000000000000,,1,1\n' +
          'm2,2026-01-01,1,1.000000000000,1.000000000000,0.000000000000,0.000000,0,0\n'
      );
      expect((await get(`/reconciliation?${RANGE}&model=m2`)).body).toMatchObject({ rows: [B] });
      auth = REQUIRED_AUTH;
      expect((await get(`/reconciliation?${RANGE}`, TOKENS.cat)).body).toMatchObject({ rows: [C] });
    });

    it('refuses parameters it does not take and a range of more days than a series may have', async () => {
      expect(await get(`/reconciliation?${RANGE}&groupBy=user`)).toMatchObject({
        status: 400,
        body: { parameter: 'groupBy' },
      });
      expect(await get(`/reconciliation?${RANGE}&format=xml`)).toMatchObject({
        status: 400,
        body: { parameter: 'format' },
      });
      expect(await get(`/reconciliation?from=0&to=${Date.UTC(9000, 0, 1)}`)).toMatchObject({
        status: 400,
        body: { parameter: 'from', error: expect.stringMatching(/^from: the range spans \d+ days; at most 11000$/) },
      });
    });
  });

  describe('timeseries', () => {
    it('sums each group per step, at UTC-aligned bucket times', async () => {
      const r = await get(`/timeseries?${RANGE}&groupBy=team&step=1d`);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        from: '2026-01-01T00:00:00.000Z',
        to: '2026-01-03T00:00:00.000Z',
        stepSeconds: 86400,
        series: [
          {
            team: 't1',
            points: [
              {
                time: '2026-01-01T00:00:00.000Z',
                ...row(
                  {},
                  {
                    requests: 3,
                    failed: 1,
                    input: 70,
                    output: 35,
                    cost: '7.000000000000',
                    charge: '8.000000000000',
                    margin: '1.000000000000',
                    fee: '0.500000000000',
                  }
                ),
              },
            ],
          },
          { team: 't2', points: [{ time: '2026-01-02T00:00:00.000Z', ...row({}, CAT_SUMS) }] },
        ],
      });
    });

    it('refuses parameters it does not take', async () => {
      expect(await get(`/timeseries?${RANGE}&step=1h&sort=cost`)).toMatchObject({
        status: 400,
        body: {
          parameter: 'sort',
          error: 'sort: unknown parameter; expected one of from, to, groupBy, step, user, apiKey, team, tier, model',
        },
      });
    });
  });

  describe('dimensions', () => {
    it('lists the values of a dimension in the range, sorted, filtered by the others', async () => {
      expect(await get(`/dimensions/user?${RANGE}`)).toMatchObject({
        status: 200,
        body: { dimension: 'user', values: ['ann', 'bob', 'cat'] },
      });
      expect((await get(`/dimensions/model?${RANGE}&team=t2`)).body).toEqual({ dimension: 'model', values: ['m1'] });
      expect((await get(`/dimensions/user?from=${T0}&to=${T0 + HOUR}`)).body).toEqual({
        dimension: 'user',
        values: ['ann'],
      });
    });

    it('refuses an unknown dimension, a malformed escape and parameters it does not take, naming them', async () => {
      const expected = 'expected user, apiKey, team, tier, model';
      expect(await get(`/dimensions/colour?${RANGE}`)).toMatchObject({
        status: 400,
        body: { error: `dimension: unknown dimension "colour"; ${expected}`, parameter: 'dimension' },
      });
      expect(await get(`/dimensions/%FF?${RANGE}`)).toMatchObject({
        status: 400,
        body: { error: `dimension: not a valid percent-encoded name; ${expected}`, parameter: 'dimension' },
      });
      expect(await get(`/dimensions/user?${RANGE}&groupBy=team`)).toMatchObject({
        status: 400,
        body: {
          parameter: 'groupBy',
          error: 'groupBy: unknown parameter; expected one of from, to, user, apiKey, team, tier, model',
        },
      });
    });
  });

  describe('status', () => {
    it('counts the records and gives the first and last start times', async () => {
      expect(await get('/status')).toMatchObject({
        status: 200,
        body: {
          status: 'ok',
          records: 4,
          firstRecord: '2026-01-01T00:00:00.000Z',
          lastRecord: '2026-01-02T01:00:00.000Z',
          scope: null,
        },
      });
    });

    it('refuses any parameter', async () => {
      expect(await get('/status?from=0')).toMatchObject({
        status: 400,
        body: { parameter: 'from', error: 'from: unknown parameter; this endpoint takes none' },
      });
    });
  });

  describe('budgets', () => {
    it("gives every budget's spend in its current period", async () => {
      const r = await get('/budgets');
      expect(r.status).toBe(200);
      const budgets = (r.body as { budgets: Record<string, unknown>[] }).budgets;
      expect(budgets.map((b) => [b.scope, b.subject, b.spentUsd, b.state])).toEqual([
        ['team', 't1', '7.000000000000', 'ok'],
        ['user', 'ann', '6.000000000000', 'exceeded'],
        ['team', 't2', '0.000000000000', 'ok'],
        ['team', 'cat', '0.000000000000', 'ok'],
        ['user', 'cat', '0.000000000000', 'ok'],
      ]);
    });

    it('refuses any parameter', async () => {
      expect(await get('/budgets?team=t1')).toMatchObject({
        status: 400,
        body: { parameter: 'team', error: 'team: unknown parameter; this endpoint takes none' },
      });
    });
  });

  describe('with tokens required', () => {
    it('gives no first or last record to a token whose scope has none', async () => {
      expect((await get('/status', TOKENS.none)).body).toEqual({
        status: 'ok',
        records: 0,
        firstRecord: null,
        lastRecord: null,
        scope: { team: 'nobody' },
      });
    });

    beforeEach(() => {
      auth = REQUIRED_AUTH;
    });

    it('refuses a request without a token or with an unknown one, asking for a bearer token', async () => {
      for (const token of [undefined, 'not-a-token']) {
        const r = await get('/status', token);
        expect(r.status).toBe(401);
        expect(r.headers.get('www-authenticate')).toBe('Bearer realm="tokenledger"');
        expect(r.body).toEqual({ error: 'missing or invalid API token (send Authorization: Bearer <token>)' });
      }
    });

    it('refuses an ingest token: it pushes usage and reads nothing', async () => {
      for (const path of ['/status', `/breakdown?${RANGE}`, '/budgets']) {
        const r = await get(path, TOKENS.gateway);
        expect(r.status).toBe(403);
        expect(r.body).toEqual({ error: 'an ingest token cannot read the API (it only pushes usage)' });
      }
    });

    it('shows an admin token everything', async () => {
      expect((await get('/status', TOKENS.admin)).body).toMatchObject({ records: 4, scope: null });
      expect((await get('/budgets', TOKENS.admin)).body).toMatchObject({
        budgets: [{ subject: 't1' }, { subject: 'ann' }, { subject: 't2' }, { subject: 'cat' }, { subject: 'cat' }],
      });
    });

    it("shows a team token only its team's records and its team's budget", async () => {
      expect((await get('/status', TOKENS.eng)).body).toEqual({
        status: 'ok',
        records: 3,
        firstRecord: '2026-01-01T00:00:00.000Z',
        lastRecord: '2026-01-01T02:00:00.000Z',
        scope: { team: 't1' },
      });
      expect((await get(`/breakdown?${RANGE}&groupBy=user&user=cat`, TOKENS.eng)).body).toMatchObject({
        rows: [],
        total: { requests: 0 },
      });
      expect((await get(`/dimensions/user?${RANGE}`, TOKENS.eng)).body).toEqual({
        dimension: 'user',
        values: ['ann', 'bob'],
      });
      expect((await get(`/timeseries?${RANGE}&groupBy=team&step=1d`, TOKENS.eng)).body).toMatchObject({
        series: [{ team: 't1' }],
      });
      const budgets = ((await get('/budgets', TOKENS.eng)).body as { budgets: { scope: string; subject: string }[] })
        .budgets;
      expect(budgets.map((b) => `${b.scope}:${b.subject}`)).toEqual(['team:t1']);
    });

    it("shows a user token only that user's budget, not a team budget of the same name", async () => {
      const budgets = ((await get('/budgets', TOKENS.cat)).body as { budgets: { scope: string; subject: string }[] })
        .budgets;
      expect(budgets.map((b) => `${b.scope}:${b.subject}`)).toEqual(['user:cat']);
      expect((await get('/status', TOKENS.cat)).body).toMatchObject({
        records: 1,
        firstRecord: '2026-01-02T01:00:00.000Z',
        lastRecord: '2026-01-02T01:00:00.000Z',
      });
    });
  });

  it('re-prices only for an admin token of a server that re-prices, never on an open API', async () => {
    const asked: { fromMs: number; toMs: number }[] = [];
    const app = express();
    app.use(
      '/api/v1',
      chargebackApi({
        ledger,
        budgets,
        auth: () => auth,
        log,
        reprice: async (range) => {
          asked.push(range);
          return repriceRunJson({ atMs: T0, node: 'n', ...range, priceVersion: 'v', models: [] });
        },
      })
    );
    const s = await new Promise<Server>((resolve) => {
      const x = app.listen(0, '127.0.0.1', () => resolve(x));
    });
    const post = async (path: string, token?: string) => {
      const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/api/v1${path}`, {
        method: 'POST',
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      return { status: res.status, body: (await res.json()) as unknown };
    };
    try {
      expect(await post(`/reprice?${RANGE}`)).toEqual({
        status: 403,
        body: { error: 'reprice needs an admin token: configure auth.tokens (the API is open)' },
      });
      auth = REQUIRED_AUTH;
      expect(await post(`/reprice?${RANGE}`, TOKENS.eng)).toEqual({
        status: 403,
        body: { error: 'reprice needs an admin token' },
      });
      expect(await post(`/reprice?${RANGE}&user=ann`, TOKENS.admin)).toMatchObject({
        status: 400,
        body: { parameter: 'user' },
      });
      expect(await post(`/reprice?${RANGE}`, TOKENS.admin)).toMatchObject({ status: 200, body: { priceVersion: 'v' } });
      expect(asked).toEqual([{ fromMs: T0, toMs: T0 + 48 * HOUR }]);
    } finally {
      await new Promise((resolve) => s.close(resolve));
    }
    auth = REQUIRED_AUTH;
    const r = await fetch(`${base}/reprice?${RANGE}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.admin}` },
    });
    expect([r.status, await r.json()]).toEqual([404, { error: 'this server does not re-price' }]);
  });

  it('answers an unknown endpoint with 404 and the list of endpoints', async () => {
    expect(await get('/reports')).toMatchObject({
      status: 404,
      body: {
        error:
          'no such endpoint; see /api/v1/status, /breakdown, /timeseries, /reconciliation, /dimensions/:dimension, /budgets, POST /reprice',
      },
    });
    expect((await get('/reports')).body).not.toHaveProperty('parameter');
  });

  it('answers an internal failure with 500 and logs it, without the details in the answer', async () => {
    const failing = new BudgetTracker(ledger, [budget('team', 't1', 1n)], 'Mars/Olympus');
    const app = express();
    app.use('/api/v1', chargebackApi({ ledger, budgets: failing, auth: () => OPEN_AUTH, log }));
    const s = await new Promise<Server>((resolve) => {
      const x = app.listen(0, '127.0.0.1', () => resolve(x));
    });
    try {
      const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/api/v1/budgets`);
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ error: 'internal error; see the exporter log' });
      // The log gets the stack, to find where it failed.
      expect(errors).toEqual([expect.stringMatching(/^API error: RangeError: .*Mars\/Olympus.*\n +at /s)]);
    } finally {
      await new Promise((resolve) => s.close(resolve));
    }
  });
});
