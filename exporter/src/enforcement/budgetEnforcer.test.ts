import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { batchOf } from '../../test/ledgerContract';
import { Budget, NOT_ENFORCED } from '../budgets/budgets';
import { DuckDbLedger } from '../ledger/duckdb/duckDbLedger';
import type { Ledger } from '../ledger/ledger';
import type { Logger } from '../log';
import { IdentityMap } from '../pricing/identityMap';
import { parseDecimal } from '../money';
import { Pricer } from '../pricing/pricer';
import { parseYamlPriceBook } from '../pricing/yamlPriceBook';
import { DEFAULT_PRICING_EXTRAS, NO_TOKENS, PricedRecord } from '../types';
import { BudgetEnforcer, REFRESH_INTERVAL_MS } from './budgetEnforcer';
import type { CheckRequest } from './decider';
import { DEFAULT_ENFORCEMENT, EnforcementSettings } from './settings';
import { hashApiKey } from './subject';

// The decision over a real DuckDB ledger, with a clock the test moves: spend read from the ledger plus open
// reservations, grace, the strictest of several budgets, settling by request id, TTLs and the fail policies.

const T0 = Date.parse('2026-03-10T12:00:00Z');
const USD = 1_000_000_000_000n;
const MILLI = USD / 1000n;
// m1 costs 1 USD per million tokens in and out: a request of 1000 in + 1000 out is 0.002 USD.
const PRICES = 'models:\n  m1: { prices: [{ input: 1.00, output: 1.00 }] }\n';
const SETTINGS: EnforcementSettings = {
  ...DEFAULT_ENFORCEMENT,
  reservationTtlMs: 60_000,
  staleAfterMs: 10_000,
  defaultEstimate: { inputTokens: 1000, outputTokens: 1000 },
};
const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

const budget = (over: Partial<Budget>): Budget => ({
  scope: 'team',
  subject: 'eng',
  period: 'monthly',
  limitPusd: 10n * MILLI,
  thresholds: { warning: parseDecimal('0.8'), critical: parseDecimal('0.95'), exceeded: parseDecimal('1') },
  ...NOT_ENFORCED,
  enforce: 'block',
  ...over,
});

const request = (id: string | undefined, headers: Record<string, string> = { 'x-team-id': 'eng' }): CheckRequest => ({
  requestId: id,
  headers,
  body: { model: 'm1', max_tokens: 1000 },
});

describe('BudgetEnforcer', () => {
  let dir: string;
  let ledger: Ledger;
  let now: number;
  let seq = 0;
  const pricer = new Pricer(parseYamlPriceBook(parseYaml(PRICES), 'prices.yaml', PRICES));
  let identities = new IdentityMap([], undefined);

  async function spend(requestId: string, costPusd: bigint, team = 'eng'): Promise<void> {
    const r: PricedRecord = {
      requestId,
      startMs: T0 - 1000 - seq++,
      durationMs: 100,
      user: 'ann',
      apiKeyId: undefined,
      apiKeyAlias: 'k1',
      team,
      tier: 'standard',
      model: 'm1',
      provider: undefined,
      status: 'success',
      httpStatus: undefined,
      tokens: { ...NO_TOKENS, inputUncached: 1, output: 1 },
      ...DEFAULT_PRICING_EXTRAS,
      modelRequested: undefined,
      reportedCostPusd: undefined,
      feePusd: undefined,
      pricedModel: undefined,
      source: 'litellm',
      costPusd,
      chargePusd: costPusd,
      priceVersion: 'v1',
    };
    await ledger.commitBatch(batchOf(ledger, [r]));
  }

  async function enforcer(budgets: Budget[], settings = SETTINGS): Promise<BudgetEnforcer> {
    const e = new BudgetEnforcer(
      { ledger, pricer: () => pricer, identities: () => identities, log: quiet, now: () => now },
      budgets,
      'UTC',
      settings
    );
    await e.refresh();
    return e;
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tl-enforcer-'));
    ledger = await DuckDbLedger.open(join(dir, 'l.duckdb'), { node: 'test' });
    now = T0;
    identities = new IdentityMap([], undefined);
  });

  afterEach(async () => {
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('allows while spend + reservations + the estimate fit, then blocks with 429, retry-after and the budget', async () => {
    await spend('old', 4n * MILLI); // 4 of 10 mUSD: room for three requests of 2 mUSD
    const e = await enforcer([budget({})]);
    const kinds = [];
    for (let i = 0; i < 4; i++) kinds.push((await e.check(request(`r${i}`))).kind);
    expect(kinds).toEqual(['allow', 'allow', 'allow', 'block']);
    const blocked = await e.check(request('r9'));
    expect(blocked.status).toBe(429);
    expect(blocked.headers['x-tokenledger-budget']).toBe('team/eng/monthly');
    expect(blocked.headers['x-ratelimit-limit']).toBe('0.010000000000');
    expect(blocked.headers['x-ratelimit-remaining']).toBe('0.000000000000');
    // The period ends at the start of April (UTC).
    const reset = String((Date.parse('2026-04-01T00:00:00Z') - now) / 1000);
    expect(blocked.headers['x-ratelimit-reset']).toBe(reset);
    expect(blocked.headers['retry-after']).toBe(reset);
    expect(e.reservations.reservedPusd('team/eng/monthly')).toBe(6n * MILLI);
  });

  it('tells what is left after the request in x-ratelimit-remaining', async () => {
    const e = await enforcer([budget({})]);
    const d = await e.check(request('r1'));
    expect(d.headers['x-ratelimit-remaining']).toBe('0.008000000000');
  });

  it('judges a request checked again as replacing its reservation, not as a second request', async () => {
    await spend('old', 6n * MILLI); // 6 of 10 mUSD: room for two requests of 2 mUSD
    const e = await enforcer([budget({}), budget({ scope: 'global', subject: 'global', limitPusd: 100n * MILLI })]);
    const first = await e.check(request('r1'));
    expect([first.kind, first.headers['x-ratelimit-remaining']]).toEqual(['allow', '0.002000000000']);
    // A gateway's retry of the same check: the same answer, and still one reservation of 2 mUSD.
    for (let i = 0; i < 3; i++) {
      const again = await e.check(request('r1'));
      expect([again.kind, again.headers['x-ratelimit-remaining']]).toEqual(['allow', '0.002000000000']);
    }
    expect(e.reservations.reservedPusd('team/eng/monthly')).toBe(2n * MILLI);
    expect((await e.check(request('r2'))).kind).toBe('allow');
    expect((await e.check(request('r3'))).kind).toBe('block');
    expect(e.reservations.reservedPusd('global/global/monthly')).toBe(4n * MILLI);
  });

  it('lets a blocking budget run into its grace with a warning, and blocks only beyond limit × (1 + grace)', async () => {
    await spend('old', 9n * MILLI); // 9 of 10 mUSD; grace 0.5 makes 15 mUSD the hard bound
    const e = await enforcer([budget({ grace: parseDecimal('0.5') })]);
    const decisions = [];
    for (let i = 0; i < 4; i++) decisions.push(await e.check(request(`r${i}`)));
    expect(decisions.map((d) => d.kind)).toEqual(['warn', 'warn', 'warn', 'block']);
    expect(decisions[0]!.status).toBe(200);
    expect(decisions[0]!.headers['x-tokenledger-warning']).toMatch(/team\/eng\/monthly is over its limit/);
  });

  it('never blocks on a warn budget, however far over', async () => {
    await spend('old', 50n * MILLI);
    const e = await enforcer([budget({ enforce: 'warn' })]);
    const d = await e.check(request('r1'));
    expect(d.kind).toBe('warn');
    expect(d.status).toBe(200);
  });

  it('checks every covering budget: the strictest answer wins, budgets of others do not count', async () => {
    await spend('old', 9n * MILLI);
    const e = await enforcer([
      budget({ scope: 'global', subject: 'global', limitPusd: USD }),
      budget({ scope: 'team', subject: 'eng', enforce: 'warn' }),
      budget({ scope: 'user', subject: 'bob', limitPusd: 1n }),
    ]);
    const d = await e.check(request('r1', { 'x-team-id': 'eng', 'x-user-id': 'ann' }));
    expect(d.kind).toBe('warn');
    expect(d.headers['x-tokenledger-budget']).toBe('team/eng/monthly');
    const bob = await e.check(request('r2', { 'x-team-id': 'ops', 'x-user-id': 'bob' }));
    expect(bob.kind).toBe('block');
    expect(bob.headers['x-tokenledger-budget']).toBe('user/bob/monthly');
  });

  it('reserves on exactly the budgets covering each subject, however subjects interleave and reloads change them', async () => {
    // The covering sets are remembered per combination of subjects met (coveringBudgets): asked in turns, each
    // request must still hold its own budgets, and a reload must not answer from the old config's sets.
    const global = budget({ scope: 'global', subject: 'global', limitPusd: USD });
    const eng = budget({ limitPusd: USD });
    const ops = budget({ subject: 'ops', limitPusd: USD });
    const ann = budget({ scope: 'user', subject: 'ann', limitPusd: USD, enforce: 'warn' });
    const e = await enforcer([global, eng, ops, ann]);
    const asks: [string, Record<string, string>][] = [
      ['a', { 'x-team-id': 'eng', 'x-user-id': 'ann' }],
      ['b', { 'x-team-id': 'ops', 'x-user-id': 'bob' }],
      ['c', { 'x-team-id': 'ops', 'x-user-id': 'ann' }],
      ['d', { 'x-user-id': 'carl' }],
      ['e', { 'x-team-id': 'eng', 'x-user-id': 'ann' }],
      ['f', { 'x-team-id': 'ops', 'x-user-id': 'bob' }],
    ];
    for (const [id, headers] of asks) expect((await e.check(request(id, headers))).kind).toBe('allow');
    const each = 2n * MILLI;
    const held = () =>
      ['global/global/monthly', 'team/eng/monthly', 'team/ops/monthly', 'user/ann/monthly'].map((k) => [
        e.reservations.openCount(k),
        e.reservations.reservedPusd(k),
      ]);
    expect(held()).toEqual([
      [6, 6n * each],
      [2, 2n * each],
      [3, 3n * each],
      [3, 3n * each],
    ]);
    // Team eng's budget goes, user ann's stays: ann in eng is now covered by global and ann only.
    e.configure([global, ops, ann], 'UTC', SETTINGS);
    await e.refresh();
    expect((await e.check(request('g', { 'x-team-id': 'eng', 'x-user-id': 'ann' }))).kind).toBe('allow');
    expect(held()).toEqual([
      [7, 7n * each],
      [2, 2n * each],
      [3, 3n * each],
      [4, 4n * each],
    ]);
  });

  it('allows without headers when no enforced budget covers the request', async () => {
    const e = await enforcer([budget({}), budget({ scope: 'team', subject: 'ops', enforce: 'off' })]);
    const d = await e.check(request('r1', { 'x-team-id': 'ops' }));
    expect(d).toMatchObject({ kind: 'allow', status: 200, headers: {} });
  });

  it('hashes a raw API key on arrival and maps it through the identity map, as log records are', async () => {
    const key = 'sk-test-0123456789abcdef';
    identities = new IdentityMap([{ apiKey: hashApiKey(key), team: 'eng' }], undefined);
    await spend('old', 10n * MILLI);
    const e = await enforcer([budget({})]);
    const d = await e.check(request('r1', { authorization: `Bearer ${key}` }));
    expect(d.kind).toBe('block');
    expect(JSON.stringify(d)).not.toContain(key);
  });

  it('takes max_tokens from the body and the model estimate for the rest', async () => {
    const e = await enforcer([budget({})], {
      ...SETTINGS,
      estimates: new Map([['m1', { inputTokens: 3000, outputTokens: 5000 }]]),
    });
    expect(e.estimatePusd({ model: 'm1' }, { max_tokens: 1000 }, now)).toBe(4n * MILLI);
    expect(e.estimatePusd({ model: 'm1' }, {}, now)).toBe(8n * MILLI);
    expect(e.estimatePusd({ model: 'unpriced' }, {}, now)).toBe(0n);
  });

  it('prices an estimate once per request shape, and again with the prices a reload brings', async () => {
    class CountingPricer extends Pricer {
      calls = 0;
      override price(...args: Parameters<Pricer['price']>): ReturnType<Pricer['price']> {
        this.calls++;
        return super.price(...args);
      }
    }
    const book = (text: string) => parseYamlPriceBook(parseYaml(text), 'prices.yaml', text);
    let current = new CountingPricer(book(PRICES));
    const e = new BudgetEnforcer(
      { ledger, pricer: () => current, identities: () => identities, log: quiet, now: () => now },
      [budget({})],
      'UTC',
      SETTINGS
    );
    await e.refresh();
    expect(e.estimatePusd({ model: 'm1' }, { max_tokens: 1000 }, now)).toBe(2n * MILLI);
    expect(e.estimatePusd({ model: 'm1' }, { max_tokens: 1000 }, now)).toBe(2n * MILLI);
    expect(current.calls).toBe(1);
    expect(e.estimatePusd({ model: 'm1' }, { max_tokens: 3000 }, now)).toBe(4n * MILLI);
    expect(e.estimatePusd({ model: 'm1', tier: 'batch' }, { max_tokens: 1000 }, now)).toBe(2n * MILLI);
    expect(current.calls).toBe(3);
    current = new CountingPricer(book('models:\n  m1: { prices: [{ input: 2.00, output: 2.00 }] }\n'));
    expect(e.estimatePusd({ model: 'm1' }, { max_tokens: 1000 }, now)).toBe(4n * MILLI);
    expect(current.calls).toBe(1);
  });

  it('answers ties between equally strict budgets with the first configured, whatever its scope', async () => {
    const global = budget({ scope: 'global', subject: 'global' });
    const user = budget({ scope: 'user', subject: 'ann' });
    const team = budget({});
    const ask = async (budgets: Budget[]) =>
      (await (await enforcer(budgets)).check(request('r1', { 'x-team-id': 'eng', 'x-user-id': 'ann' }))).headers[
        'x-tokenledger-budget'
      ];
    expect(await ask([user, global, team])).toBe('user/ann/monthly');
    expect(await ask([team, user, global])).toBe('team/eng/monthly');
    expect(await ask([global, team, user])).toBe('global/global/monthly');
  });

  it('keeps a reservation until a read that started after its record was committed, so no moment counts neither', async () => {
    await spend('old', 4n * MILLI);
    const e = await enforcer([budget({})]);
    await e.check(request('r1'));
    expect(e.reservations.reservedPusd('team/eng/monthly')).toBe(2n * MILLI);
    await spend('r1', 1n * MILLI); // the request cost less than its estimate
    e.onCommitted(['r1']);
    // Still reserved until the read that includes r1's spend lands.
    expect(e.reservations.reservedPusd('team/eng/monthly')).toBe(2n * MILLI);
    await e.refresh();
    expect(e.reservations.reservedPusd('team/eng/monthly')).toBe(0n);
    const d = await e.check(request('r2'));
    expect(d.headers['x-ratelimit-remaining']).toBe('0.003000000000'); // 10 - 4 - 1 - 2
  });

  it('lets a reservation without its usage record lapse after the TTL', async () => {
    await spend('old', 6n * MILLI);
    const e = await enforcer([budget({})]);
    expect((await e.check(request('r1'))).kind).toBe('allow');
    expect((await e.check(request('r2'))).kind).toBe('allow');
    expect((await e.check(request('r3'))).kind).toBe('block');
    now += SETTINGS.reservationTtlMs;
    e.reservations.expire(now);
    await e.refresh();
    expect((await e.check(request('r3'))).kind).toBe('allow');
  });

  it('expires lapsed reservations from its refresh timer in steps, each a turn of the event loop of its own', async () => {
    const e = await enforcer([budget({ limitPusd: 1000n * USD })]);
    for (let i = 0; i < 600; i++) await e.check(request(`r${i}`));
    now += SETTINGS.reservationTtlMs;
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    try {
      e.start();
      jest.advanceTimersByTime(REFRESH_INTERVAL_MS);
      // One step of 256 ran; the rest waits for the next turns, and a request arriving between them is answered.
      expect(e.reservations.size).toBe(600 - 256);
      jest.runOnlyPendingTimers(); // the next steps (fake timers run an immediate that a step schedules too)
      expect(e.reservations.size).toBe(0);
      expect(e.reservations.reservedPusd('team/eng/monthly')).toBe(0n);
    } finally {
      jest.useRealTimers();
      await e.stop();
    }
  });

  it('expires two lapsed reservations with every new one, so the periodic pass finds few', async () => {
    const e = await enforcer([budget({ limitPusd: 1000n * USD })]);
    for (let i = 0; i < 10; i++) await e.check(request(`old${i}`));
    now += SETTINGS.reservationTtlMs;
    await e.check(request('new0'));
    expect(e.reservations.size).toBe(10 - 2 + 1);
    for (let i = 1; i < 5; i++) await e.check(request(`new${i}`));
    // All ten lapsed ones are gone; the five new ones count, and only they.
    expect(e.reservations.size).toBe(5);
    expect(e.reservations.reservedPusd('team/eng/monthly')).toBe(5n * 2n * MILLI);
  });

  it('fails closed (503) or open by the budget when its spend is older than stale_after', async () => {
    const e = await enforcer([budget({ fail: 'closed' })]);
    now += SETTINGS.staleAfterMs;
    expect((await e.check(request('r1'))).kind).toBe('allow');
    now += 1;
    const closed = await e.check(request('r2'));
    expect(closed).toMatchObject({ kind: 'block', status: 503 });
    expect(closed.reason).toMatch(/last read 10\.0 s ago.*fails closed/);
    expect(closed.headers['retry-after']).toBe('5');
    e.configure([budget({ fail: 'open' })], 'UTC', SETTINGS);
    await e.refresh();
    now += SETTINGS.staleAfterMs + 1;
    const open = await e.check(request('r3'));
    expect(open).toMatchObject({ kind: 'allow', status: 200 });
    expect(open.headers['x-tokenledger-warning']).toMatch(/fail open/);
  });

  it('keeps the last spend when a read fails, which ages into the fail policy', async () => {
    const e = await enforcer([budget({ fail: 'closed' })]);
    await ledger.close();
    // A closed DuckDB ledger is not "unreachable": it is an error, logged; the state ages into staleness.
    await e.refresh();
    now += SETTINGS.staleAfterMs + 1;
    expect((await e.check(request('r1'))).status).toBe(503);
    ledger = await DuckDbLedger.open(join(dir, 'l.duckdb'), { node: 'test' });
  });

  it("counts each covering budget's own verdict for the metrics, and requests no budget covers", async () => {
    await spend('old', 7n * MILLI);
    const e = await enforcer([budget({}), budget({ scope: 'global', subject: 'global', limitPusd: USD })]);
    await e.check(request('r1'));
    await e.check(request('r2'));
    await e.check(request('r3', { 'x-team-id': 'ops' }));
    const decisions = await e.metrics()[0]!.get();
    const team = { scope: 'team', subject: 'eng', period: 'monthly' };
    const global = { scope: 'global', subject: 'global', period: 'monthly' };
    expect(decisions.values).toEqual([
      { labels: { decision: 'allow', ...team }, value: 1 },
      { labels: { decision: 'allow', ...global }, value: 3 },
      { labels: { decision: 'block', ...team }, value: 1 },
    ]);
    const teamOnly = await enforcer([budget({})]);
    await teamOnly.check(request('r4', { 'x-team-id': 'ops' }));
    expect((await teamOnly.metrics()[0]!.get()).values).toEqual([
      { labels: { decision: 'allow', scope: '', subject: '', period: '' }, value: 1 },
    ]);
    const open = await e.metrics()[1]!.get();
    expect(open.values).toEqual([
      { labels: team, value: 1 },
      { labels: global, value: 2 },
    ]);
  });
});
