import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { insertUsageDirectly } from './duckdbFile';
import { LEDGER_ENGINES, TestLedger, testLedger } from './testLedger';
import { requireBuiltCli, ServeProcess, sumSamples, tempDir, waitFor } from './helpers';

/**
 * The chargeback API against a real `tokenledger serve` over a log written by the test. Every expected
 * number is computed here, independently, from the records the log was made of.
 */

interface Rec {
  id: string;
  user: string;
  team: string;
  tier: string;
  model: string;
  startMs: number;
  prompt: number;
  cached: number;
  completion: number;
}

// USD per 1M tokens, as written in the test price book: pico-USD per token = USD/M × 1e6.
const RATES: Record<string, { input: bigint; cached: bigint; output: bigint }> = {
  'gpt-4o': { input: 2_500_000n, cached: 1_250_000n, output: 10_000_000n },
  'gpt-4o-mini': { input: 150_000n, cached: 75_000n, output: 600_000n },
  'claude-haiku-4-5': { input: 1_000_000n, cached: 100_000n, output: 5_000_000n },
};
const PRICES = `models:
  gpt-4o: { prices: [{ input: 2.50, cache_read: 1.25, output: 10.00 }] }
  gpt-4o-mini: { prices: [{ input: 0.15, cache_read: 0.075, output: 0.60 }] }
  claude-haiku-4-5: { prices: [{ input: 1.00, cache_read: 0.10, output: 5.00 }] }
tiers:
  gold: { multiplier: 1.5 }
`;
const PEOPLE = [
  { user: 'alice@example.com', team: 'engineering', tier: 'gold' },
  { user: 'bob@example.com', team: 'engineering', tier: 'standard' },
  { user: 'carol@example.com', team: 'finance', tier: 'standard' },
];
const MODELS = Object.keys(RATES);
const TOKENS = {
  admin: 'admin-token-0123456789abcdef',
  eng: 'eng-token-0123456789abcdef',
  carol: 'carol-token-0123456789abcdef',
};
const sha = (t: string) => createHash('sha256').update(t).digest('hex');

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of any shape an endpoint returns; the tests check its fields
type Json = any;

const now = Date.now();
const monthStart = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), 1);
// 300 requests spread over the current month so far (budgets look at the current period).
const span = Math.max(now - monthStart - 60_000, 300_000);
const records: Rec[] = Array.from({ length: 300 }, (_, i) => {
  const p = PEOPLE[i % 3]!;
  const prompt = 200 + ((i * 53) % 1800);
  return {
    id: `req-${i}`,
    ...p,
    model: MODELS[Math.floor(i / 3) % 3]!,
    startMs: Math.min(now - 1000, monthStart + Math.floor((span * i) / 300)),
    prompt,
    cached: (i * 31) % 150,
    completion: 20 + ((i * 17) % 400),
  };
});

function line(r: Rec): string {
  return JSON.stringify({
    id: r.id,
    call_type: 'acompletion',
    status: 'success',
    model: r.model,
    startTime: r.startMs / 1000,
    endTime: r.startMs / 1000 + 1,
    prompt_tokens: r.prompt,
    completion_tokens: r.completion,
    metadata: {
      user_api_key_user_id: r.user,
      user_api_key_alias: `key-${r.user.split('@')[0]}`,
      user_api_key_team_alias: r.team,
      usage_object: {
        prompt_tokens: r.prompt,
        completion_tokens: r.completion,
        prompt_tokens_details: { cached_tokens: r.cached },
      },
    },
    request_tags: [`tier:${r.tier}`],
  });
}

const cost = (r: Rec): bigint => {
  const x = RATES[r.model]!;
  return BigInt(r.prompt - r.cached) * x.input + BigInt(r.cached) * x.cached + BigInt(r.completion) * x.output;
};
const charge = (r: Rec): bigint => (r.tier === 'gold' ? (cost(r) * 15n + 5n) / 10n : cost(r)); // exact here: costs are multiples of 1e4 pico
const usd = (pico: bigint): string =>
  `${pico / 1_000_000_000_000n}.${(pico % 1_000_000_000_000n).toString().padStart(12, '0')}`;

function expectedRow(rs: Rec[]) {
  const c = rs.reduce((a, r) => a + cost(r), 0n);
  const ch = rs.reduce((a, r) => a + charge(r), 0n);
  return {
    requests: rs.length,
    inputTokens: rs.reduce((a, r) => a + r.prompt, 0),
    cacheReadTokens: rs.reduce((a, r) => a + r.cached, 0),
    outputTokens: rs.reduce((a, r) => a + r.completion, 0),
    costUsd: usd(c),
    chargeUsd: usd(ch),
    marginUsd: usd(ch - c),
  };
}

function groupBy<K extends keyof Rec>(rs: Rec[], ...keys: K[]): Map<string, Rec[]> {
  const m = new Map<string, Rec[]>();
  for (const r of rs) {
    const k = keys.map((key) => String(r[key])).join('|');
    m.set(k, [...(m.get(k) ?? []), r]);
  }
  return m;
}

describe.each(LEDGER_ENGINES)('chargeback API on %s', (engine) => {
  let serve: ServeProcess;
  let dir: string;
  let config: string;
  let ledger: TestLedger;
  const from = String(monthStart);
  const to = String(now + 3600_000);

  const configText = (budgets: string) => `ledger: ${ledger.setting}
prices: prices.yaml
listen: 127.0.0.1:0
poll_interval_ms: 50
sources:
  - { name: gw, paths: gw.log, format: litellm }
auth:
  metrics: required
  tokens:
    - { name: grafana, sha256: ${sha(TOKENS.admin)}, role: admin }
    - { name: eng, sha256: ${sha(TOKENS.eng)}, team: engineering }
    - { name: carol, sha256: ${sha(TOKENS.carol)}, user: carol@example.com }
budgets:
${budgets}`;
  const BUDGETS = `  - { scope: team, subject: engineering, period: monthly, limit_usd: 10 }
  - { scope: user, subject: carol@example.com, period: monthly, limit_usd: "0.50", thresholds: [0.5, 0.75, 0.9] }
  - { scope: global, period: monthly, limit_usd: 0 }
`;

  beforeAll(async () => {
    requireBuiltCli();
    dir = tempDir();
    ledger = await testLedger(engine);
    writeFileSync(join(dir, 'prices.yaml'), PRICES);
    writeFileSync(join(dir, 'gw.log'), records.map(line).join('\n') + '\n');
    config = join(dir, 'tokenledger.yaml');
    writeFileSync(config, configText(BUDGETS));
    serve = await ServeProcess.start(config);
    await waitFor('all records ingested', async () => {
      const res = await get('/api/v1/status');
      return res.body.records === records.length ? true : undefined;
    });
  });
  afterAll(async () => {
    await serve?.stop();
    await ledger?.stop();
  });

  async function get(
    path: string,
    token: string | null = TOKENS.admin
  ): Promise<{ status: number; body: Json; text: string; headers: Headers }> {
    const res = await fetch(`${serve.baseUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const text = await res.text();
    let body: Json;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.status, body, text, headers: res.headers };
  }

  it('breaks down by user with exact costs, charges and margins', async () => {
    const res = await get(`/api/v1/breakdown?from=${from}&to=${to}&groupBy=user`);
    expect(res.status).toBe(200);
    const expected = [...groupBy(records, 'user')].map(([user, rs]) => ({ user, ...expectedRow(rs) }));
    expect(
      res.body.rows.map((r: Json) => ({
        user: r.user,
        requests: r.requests,
        inputTokens: r.inputTokens,
        cacheReadTokens: r.cacheReadTokens,
        outputTokens: r.outputTokens,
        costUsd: r.costUsd,
        chargeUsd: r.chargeUsd,
        marginUsd: r.marginUsd,
      }))
    ).toEqual(expected.sort((a, b) => Number(BigInt(b.costUsd.replace('.', '')) - BigInt(a.costUsd.replace('.', '')))));
    expect(res.body.total).toMatchObject(expectedRow(records));
    const shares = res.body.rows.reduce((a: number, r: Json) => a + r.share, 0);
    expect(shares).toBeCloseTo(1, 5);
  });

  it('groups by several dimensions and filters with several values', async () => {
    const res = await get(
      `/api/v1/breakdown?from=${from}&to=${to}&groupBy=user,model&user=alice@example.com&user=carol@example.com&model=gpt-4o`
    );
    const subset = records.filter(
      (r) => (r.user === 'alice@example.com' || r.user === 'carol@example.com') && r.model === 'gpt-4o'
    );
    const expected = [...groupBy(subset, 'user', 'model')].map(([k, rs]) => ({
      user: k.split('|')[0],
      model: k.split('|')[1],
      ...expectedRow(rs),
    }));
    expect(res.body.rows).toHaveLength(expected.length);
    for (const e of expected) expect(res.body.rows).toContainEqual(expect.objectContaining(e));
  });

  it('gives the top N by tokens with an "everyone else" row', async () => {
    const res = await get(`/api/v1/breakdown?from=${from}&to=${to}&groupBy=user&sort=tokens&limit=1&other=true`);
    const byTokens = [...groupBy(records, 'user')]
      .map(([user, rs]) => ({ user, rs, tokens: rs.reduce((a, r) => a + r.prompt + r.completion, 0) }))
      .sort((a, b) => b.tokens - a.tokens);
    expect(res.body.rows).toHaveLength(2);
    expect(res.body.rows[0]).toMatchObject({ user: byTokens[0]!.user, ...expectedRow(byTokens[0]!.rs) });
    expect(res.body.rows[1]).toMatchObject({
      user: '__other__',
      ...expectedRow([...byTokens[1]!.rs, ...byTokens[2]!.rs]),
    });
    const total = records.reduce((a, r) => a + r.prompt + r.completion, 0);
    expect(res.body.rows[0].share).toBeCloseTo(byTokens[0]!.tokens / total, 5);
  });

  it('returns an hourly time series aligned to UTC hours, per model', async () => {
    const res = await get(`/api/v1/timeseries?from=${from}&to=${to}&step=1h&groupBy=model`);
    expect(res.status).toBe(200);
    for (const model of MODELS) {
      const series = res.body.series.find((s: Json) => s.model === model);
      const buckets = new Map<number, Rec[]>();
      for (const r of records.filter((x) => x.model === model)) {
        const t = Math.floor(r.startMs / 3600_000) * 3600_000;
        buckets.set(t, [...(buckets.get(t) ?? []), r]);
      }
      const expected = [...buckets]
        .sort((a, b) => a[0] - b[0])
        .map(([t, rs]) => ({ time: new Date(t).toISOString(), requests: rs.length, costUsd: expectedRow(rs).costUsd }));
      expect(series.points.map((p: Json) => ({ time: p.time, requests: p.requests, costUsd: p.costUsd }))).toEqual(
        expected
      );
    }
  });

  it('lists dimension values for template variables, optionally filtered', async () => {
    expect((await get(`/api/v1/dimensions/user?from=${from}&to=${to}`)).body.values).toEqual(
      PEOPLE.map((p) => p.user).sort()
    );
    expect((await get(`/api/v1/dimensions/team?from=${from}&to=${to}&user=carol@example.com`)).body.values).toEqual([
      'finance',
    ]);
    expect((await get(`/api/v1/dimensions/apiKey?from=${from}&to=${to}`)).body.values).toEqual([
      'key-alice',
      'key-bob',
      'key-carol',
    ]);
  });

  it('exports Json breakdown as CSV', async () => {
    const res = await get(`/api/v1/breakdown?from=${from}&to=${to}&groupBy=team&format=csv`);
    expect(res.headers.get('content-type')).toMatch(/text\/csv/);
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="tokenledger-chargeback-/);
    const [header, ...lines] = res.text.trim().split('\n');
    const cols = header!.split(',');
    expect(cols.slice(0, 2)).toEqual(['team', 'requests']);
    const finance = lines.map((l) => l.split(',')).find((c) => c[0] === 'finance')!;
    expect(finance[cols.indexOf('costUsd')]).toBe(expectedRow(records.filter((r) => r.team === 'finance')).costUsd);
  });

  it('reports every budget with exact spend, state and projection, and exports the twin gauges', async () => {
    const res = await get('/api/v1/budgets');
    const eng = records.filter((r) => r.team === 'engineering').reduce((a, r) => a + cost(r), 0n);
    const carol = records.filter((r) => r.user === 'carol@example.com').reduce((a, r) => a + cost(r), 0n);
    const state = (spent: bigint, limit: bigint, t: [bigint, bigint, bigint]) =>
      spent * 100n >= limit * t[2]
        ? 'exceeded'
        : spent * 100n >= limit * t[1]
          ? 'critical'
          : spent * 100n >= limit * t[0]
            ? 'warning'
            : 'ok';
    expect(res.body.budgets).toEqual([
      expect.objectContaining({
        scope: 'team',
        subject: 'engineering',
        period: 'monthly',
        limitUsd: '10.000000000000',
        spentUsd: usd(eng),
        state: state(eng, 10_000_000_000_000n, [80n, 95n, 100n]),
        periodStart: new Date(monthStart).toISOString(),
      }),
      expect.objectContaining({
        scope: 'user',
        subject: 'carol@example.com',
        limitUsd: '0.500000000000',
        spentUsd: usd(carol),
        state: state(carol, 500_000_000_000n, [50n, 75n, 90n]),
        thresholds: { warning: 0.5, critical: 0.75, exceeded: 0.9 },
      }),
      expect.objectContaining({
        scope: 'global',
        subject: 'global',
        limitUsd: '0.000000000000',
        utilisation: null,
        state: 'ok',
      }),
    ]);
    expect(BigInt(res.body.budgets[0].projectedUsd.replace('.', ''))).toBeGreaterThanOrEqual(eng);
    const metrics = await (
      await fetch(`${serve.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKENS.admin}` } })
    ).text();
    const labels = { scope: 'team', subject: 'engineering', period: 'monthly' };
    expect(sumSamples(metrics, 'tokenledger_budget_limit_usd', labels)).toBe(10);
    expect(sumSamples(metrics, 'tokenledger_budget_spent_usd', labels)).toBeCloseTo(Number(eng) / 1e12, 9);
    expect(sumSamples(metrics, 'tokenledger_budget_threshold_ratio', { ...labels, severity: 'critical' })).toBe(0.95);
    expect(metrics).not.toMatch(/tokenledger_budget_utilisation_ratio\{[^}]*scope="global"/);
  });

  describe('access control', () => {
    const ENGINEERING = ['alice@example.com', 'bob@example.com'];

    it.each([
      ['an admin token: the whole ledger', TOKENS.admin, records, null],
      [
        'a team token: its team only',
        TOKENS.eng,
        records.filter((r) => r.team === 'engineering'),
        { team: 'engineering' },
      ],
      [
        'a user token: its own records only',
        TOKENS.carol,
        records.filter((r) => r.user === 'carol@example.com'),
        { user: 'carol@example.com' },
      ],
    ])('/status tells %s', async (_name, token, visible, scope) => {
      const res = await get('/api/v1/status', token);
      expect(res.status).toBe(200);
      const starts = visible.map((r) => r.startMs);
      expect(res.body).toEqual({
        status: 'ok',
        records: visible.length,
        firstRecord: new Date(Math.min(...starts)).toISOString(),
        lastRecord: new Date(Math.max(...starts)).toISOString(),
        scope,
      });
    });

    it('refuses the API and /metrics without a valid token, but not the probes', async () => {
      expect((await get(`/api/v1/breakdown?from=${from}&to=${to}`, null)).status).toBe(401);
      expect((await get(`/api/v1/breakdown?from=${from}&to=${to}`, 'wrong-token')).status).toBe(401);
      expect((await get('/metrics', null)).status).toBe(401);
      expect((await get('/metrics', TOKENS.eng)).status).toBe(403);
      expect((await get('/healthz', null)).status).toBe(200);
      expect((await get('/readyz', null)).status).toBe(200);
    });

    it.each([
      ['no filter', ''],
      ['a filter for another team', '&team=finance'],
      ["a filter for another team's user", '&user=carol@example.com'],
      ['filters mixing in', '&user=carol@example.com&user=alice@example.com&team=engineering&team=finance'],
    ])('a team token sees only its team with %s, in every endpoint', async (_name, extra) => {
      const breakdownRes = await get(`/api/v1/breakdown?from=${from}&to=${to}&groupBy=user,team${extra}`, TOKENS.eng);
      for (const r of breakdownRes.body.rows) expect(r.team).toBe('engineering');
      const csv = await get(`/api/v1/breakdown?from=${from}&to=${to}&groupBy=user${extra}&format=csv`, TOKENS.eng);
      expect(csv.text).not.toContain('carol');
      const series = await get(`/api/v1/timeseries?from=${from}&to=${to}&step=1d&groupBy=user${extra}`, TOKENS.eng);
      for (const s of series.body.series) expect(ENGINEERING).toContain(s.user);
      const values = await get(`/api/v1/dimensions/user?from=${from}&to=${to}${extra}`, TOKENS.eng);
      for (const v of values.body.values) expect(ENGINEERING).toContain(v);
      const allowed = records.filter((r) => r.team === 'engineering');
      expect(BigInt(breakdownRes.body.total.costUsd.replace('.', ''))).toBeLessThanOrEqual(
        allowed.reduce((a, r) => a + cost(r), 0n)
      );
    });

    it('a user token sees exactly its own rows and budgets', async () => {
      const res = await get(
        `/api/v1/breakdown?from=${from}&to=${to}&groupBy=user&user=alice@example.com&user=carol@example.com`,
        TOKENS.carol
      );
      expect(res.body.rows).toEqual([
        expect.objectContaining({
          user: 'carol@example.com',
          ...expectedRow(records.filter((r) => r.user === 'carol@example.com')),
        }),
      ]);
      const budgets = await get('/api/v1/budgets', TOKENS.carol);
      expect(budgets.body.budgets.map((b: Json) => b.subject)).toEqual(['carol@example.com']);
      expect((await get('/api/v1/budgets', TOKENS.eng)).body.budgets.map((b: Json) => b.subject)).toEqual([
        'engineering',
      ]);
    });
  });

  describe('bad input gets a 400 naming the parameter', () => {
    it.each([
      ['/api/v1/breakdown?to=2025-01-02', 'from'],
      [`/api/v1/breakdown?from=${to}&to=${from}`, 'from'],
      [`/api/v1/breakdown?from=soon&to=${to}`, 'from'],
      [`/api/v1/breakdown?from=${from}&to=${to}&groupBy=colour`, 'groupBy'],
      [`/api/v1/breakdown?from=${from}&to=${to}&usr=alice`, 'usr'],
      [`/api/v1/breakdown?from=${from}&to=${to}&sort=vibes`, 'sort'],
      [`/api/v1/breakdown?from=${from}&to=${to}&limit=-3`, 'limit'],
      [`/api/v1/breakdown?from=${from}&to=${to}&format=xml`, 'format'],
      [`/api/v1/breakdown?from=${from}&to=${to}&other=maybe`, 'other'],
      [`/api/v1/timeseries?from=${from}&to=${to}`, 'step'],
      [`/api/v1/timeseries?from=0&to=${to}&step=1s`, 'step'],
      [`/api/v1/timeseries?from=${from}&to=${to}&step=fortnightly`, 'step'],
      [`/api/v1/dimensions/colour?from=${from}&to=${to}`, 'dimension'],
      [`/api/v1/dimensions/user?from=${from}`, 'to'],
      ['/api/v1/budgets?scope=team', 'scope'],
      ['/api/v1/status?verbose=1', 'verbose'],
      [`/api/v1/timeseries?from=${from}&to=${to}&step=1h&usr=alice`, 'usr'],
      [`/api/v1/dimensions/user?from=${from}&to=${to}&colour=red`, 'colour'],
      [`/api/v1/breakdown?from=${from}&from=${from}&to=${to}`, 'from'],
      ['/api/v1/breakdown?from=0&to=99999999999999999999', 'to'],
      ['/api/v1/breakdown?from=0&to=8640000000000001', 'to'],
      ['/api/v1/breakdown?from=0&to=253402300800001&format=csv', 'to'],
      ['/api/v1/timeseries?from=-271821-04-20&to=0&step=1w', 'from'],
      ['/api/v1/dimensions/user?from=0&to=8640000000000001', 'to'],
      [`/api/v1/timeseries?from=0&to=${to}&step=${'9'.repeat(400)}`, 'step'],
      [`/api/v1/timeseries?from=0&to=${to}&step=99999999999w`, 'step'],
      [`/api/v1/timeseries?from=0&to=253402300800000&step=1h&groupBy=user`, 'step'],
      [`/api/v1/dimensions/%FF?from=${from}&to=${to}`, 'dimension'],
      [`/api/v1/dimensions/%E0%A4%A?from=${from}&to=${to}`, 'dimension'],
    ])('%s', async (path, parameter) => {
      const res = await get(path);
      expect(res.status).toBe(400);
      expect(res.body.parameter).toBe(parameter);
      expect(res.body.error).toMatch(new RegExp(`^${parameter}: `));
    });

    it('refuses impossible calendar dates and repeated dimensions, saying why', async () => {
      const feb = await get('/api/v1/breakdown?from=2025-02-30&to=2025-03-01&groupBy=user');
      expect(feb.status).toBe(400);
      expect(feb.body).toMatchObject({
        parameter: 'from',
        error: 'from: 2025-02-30 is not a date: February 2025 has 28 days',
      });
      const april = await get('/api/v1/timeseries?from=2025-04-01&to=2025-04-31&step=1d');
      expect(april.status).toBe(400);
      expect(april.body).toMatchObject({
        parameter: 'to',
        error: 'to: 2025-04-31 is not a date: April 2025 has 30 days',
      });
      const twice = await get(`/api/v1/breakdown?from=${from}&to=${to}&groupBy=user&groupBy=model,user`);
      expect(twice.status).toBe(400);
      expect(twice.body).toMatchObject({ parameter: 'groupBy', error: 'groupBy: dimension "user" is given twice' });
    });

    it('treats SQL in a filter as a value, not as SQL', async () => {
      const res = await get(
        `/api/v1/breakdown?from=${from}&to=${to}&groupBy=user&user=${encodeURIComponent("x' OR '1'='1")}`
      );
      expect(res.status).toBe(200);
      expect(res.body.rows).toEqual([]);
      expect(res.body.total.requests).toBe(0);
    });

    it('answers unknown endpoints with a 404 in JSON', async () => {
      const res = await get('/api/v1/nope');
      expect(res.status).toBe(404);
      expect(res.body.error).toMatch(/no such endpoint/);
    });
  });

  it('picks up budget changes in the config without a restart', async () => {
    writeFileSync(config, configText(`${BUDGETS}  - { scope: tier, subject: gold, period: daily, limit_usd: 1 }\n`));
    const found = await waitFor('the new budget', async () => {
      const res = await get('/api/v1/budgets');
      return res.body.budgets.find((b: Json) => b.scope === 'tier' && b.subject === 'gold');
    });
    expect(found).toMatchObject({ period: 'daily', limitUsd: '1.000000000000' });
  });
});

describe('a ledger holding a start time no query can name (stored before start times were bounded)', () => {
  let serve: ServeProcess | undefined;
  afterAll(async () => serve?.stop());

  it('/status still answers, with the records and span a query can reach; the range queries too', async () => {
    const dir = tempDir();
    // startTime 9e12 (seconds): year 287,000, beyond what a JavaScript Date or ISO 8601 with four digits holds.
    await insertUsageDirectly(
      join(dir, 'ledger.duckdb'),
      `INSERT INTO usage (record_key, start_time, user_id, api_key, team, tier, model, status, input_uncached, cache_read, cache_write, output, reasoning, priced_on_ingest, ingest_batch, node)
        VALUES ('gw:far-future', make_timestamp(9000000000000000000), 'u', 'k', 't', 'x', 'gpt-4o', 'success', 1, 0, 0, 1, 0, false, 1, 'old')`
    );
    writeFileSync(join(dir, 'prices.yaml'), PRICES);
    writeFileSync(join(dir, 'gw.log'), `${line(records[0]!)}\n`);
    const config = join(dir, 'tokenledger.yaml');
    writeFileSync(
      config,
      'ledger: ledger.duckdb\nprices: prices.yaml\nlisten: 127.0.0.1:0\npoll_interval_ms: 50\nsources:\n  - { name: gw, paths: gw.log, format: litellm }\nauth:\n  api: open\n'
    );
    serve = await ServeProcess.start(config);
    const status = await waitFor('the log line in the ledger', async () => {
      const res = await fetch(`${serve!.baseUrl}/api/v1/status`);
      if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
      const body = (await res.json()) as { records: number };
      return body.records === 1 ? body : undefined;
    });
    const at = new Date(records[0]!.startMs).toISOString();
    expect(status).toEqual({ status: 'ok', records: 1, firstRecord: at, lastRecord: at, scope: null });
    const all = await fetch(`${serve.baseUrl}/api/v1/breakdown?from=0&to=253402300800000`);
    expect(all.status).toBe(200);
    expect(((await all.json()) as { total: { requests: number } }).total.requests).toBe(1);
  });
});
