import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchOf } from '../../test/ledgerContract';
import { DuckDbLedger } from '../ledger/duckdb/duckDbLedger';
import type { Ledger } from '../ledger/ledger';
import { parseDecimal } from '../money';
import { DEFAULT_PRICING_EXTRAS, NO_TOKENS, PricedRecord } from '../types';
import {
  Budget,
  budgetJson,
  budgetKey,
  budgetState,
  BudgetStatus,
  evaluateBudgets,
  NOT_ENFORCED,
  project,
} from './budgets';

const budget = (limitPusd: bigint): Budget => ({
  scope: 'team',
  subject: 'eng',
  period: 'monthly',
  limitPusd,
  thresholds: { warning: parseDecimal('0.8'), critical: parseDecimal('0.95'), exceeded: parseDecimal('1') },
  ...NOT_ENFORCED,
});

describe('budget state', () => {
  const b = budget(100_000_000_000_000n); // 100 USD

  it('switches exactly at each threshold', () => {
    expect(budgetState(79_999_999_999_999n, b)).toBe('ok');
    expect(budgetState(80_000_000_000_000n, b)).toBe('warning');
    expect(budgetState(94_999_999_999_999n, b)).toBe('warning');
    expect(budgetState(95_000_000_000_000n, b)).toBe('critical');
    expect(budgetState(100_000_000_000_000n, b)).toBe('exceeded');
  });

  it('a zero limit never alerts', () => {
    expect(budgetState(5n, budget(0n))).toBe('ok');
  });
});

describe('budgetKey', () => {
  it('is one per scope, subject and period, whatever the limit', () => {
    const b = budget(1n);
    expect(budgetKey(b)).toBe(budgetKey(budget(2n)));
    const others = [
      { ...b, scope: 'user' as const },
      { ...b, subject: 'ops' },
      { ...b, period: 'daily' as const },
    ];
    expect(new Set([b, ...others].map(budgetKey)).size).toBe(4);
  });
});

describe('projection', () => {
  it('extrapolates the period average to the period end', () => {
    // 10 USD spent in the first 10 of 30 days -> 30 USD.
    const day = 86_400_000;
    expect(project(10_000_000_000_000n, 0, 30 * day, 10 * day)).toBe(30_000_000_000_000n);
  });

  it('takes the rate over at least an hour, and is the spend itself once the period is over', () => {
    expect(project(1_000n, 0, 7_200_000, 60_000)).toBe(2_000n);
    expect(project(1_000n, 0, 7_200_000, 9_000_000)).toBe(1_000n);
    // The same for a period that starts at a real time, not at 0.
    const start = Date.parse('2026-01-01T00:00:00Z');
    expect(project(1_000n, start, start + 7_200_000, start + 9_000_000)).toBe(1_000n);
    expect(project(1_000n, start, start + 7_200_000, start + 3_600_000)).toBe(2_000n);
  });
});

// Spend per budget from a real ledger: five requests committed through Ledger.commitBatch, summed here by hand.
describe('evaluateBudgets', () => {
  const T0 = Date.parse('2026-01-01T00:00:00Z'); // a Thursday: its week started on Monday 2025-12-29
  const HOUR = 3_600_000;
  const USD = 1_000_000_000_000n;
  const NOW = T0 + 12 * HOUR;
  let dir: string;
  let ledger: Ledger;

  function spend(
    id: string,
    user: string,
    key: string,
    team: string,
    tier: string,
    startMs: number,
    costUsd: bigint | undefined
  ): PricedRecord {
    return {
      requestId: id,
      startMs,
      durationMs: 100,
      user,
      apiKeyId: undefined,
      apiKeyAlias: key,
      team,
      tier,
      model: 'm1',
      provider: undefined,
      status: 'success',
      httpStatus: undefined,
      tokens: { ...NO_TOKENS, inputUncached: 1, cacheRead: 0, cacheWrite: 0, output: 1 },
      ...DEFAULT_PRICING_EXTRAS,
      modelRequested: undefined,
      reportedCostPusd: undefined,
      feePusd: undefined,
      pricedModel: undefined,
      source: 'litellm',
      costPusd: costUsd === undefined ? undefined : costUsd * USD,
      chargePusd: costUsd === undefined ? undefined : costUsd * USD,
      priceVersion: 'v1',
    };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tl-budgets-'));
    ledger = await DuckDbLedger.open(join(dir, 'l.duckdb'), { node: 'test' });
    const records = [
      spend('a', 'ann', 'k1', 't1', 'gold', T0, 2n), // the first instant of the day
      spend('b', 'bob', 'k2', 't1', 'standard', T0 + 10 * HOUR, 3n),
      spend('c', 'cat', 'k3', 't2', 'standard', T0 - 1, 5n), // the day before: same week, previous month
      spend('d', 'ann', 'k1', 't1', 'gold', T0 + 24 * HOUR, 1n), // the first instant of the next day
      spend('e', 'ann', 'k1', 't1', 'gold', T0 + HOUR, undefined), // unpriced: no spend
    ];
    await ledger.commitBatch(batchOf(ledger, records));
  });

  afterAll(async () => {
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const of = (scope: Budget['scope'], subject: string, period: Budget['period'], limitPusd: bigint): Budget => ({
    ...budget(limitPusd),
    scope,
    subject,
    period,
  });

  it("sums each budget's scope over its current period, [start, end), keeping the order the budgets were given in", async () => {
    const budgets = [
      of('global', 'global', 'daily', 10n * USD),
      of('team', 't2', 'weekly', 5n * USD),
      of('user', 'ann', 'daily', 2n * USD),
      of('global', 'global', 'monthly', 100n * USD),
      of('apiKey', 'k1', 'daily', 4n * USD),
      of('tier', 'gold', 'daily', 2_500_000_000_000n),
      of('team', 't1', 'daily', 5_200_000_000_000n),
    ];
    const day = { periodStartMs: T0, periodEndMs: T0 + 24 * HOUR };
    const statuses = await evaluateBudgets(ledger, budgets, NOW, 'UTC');
    expect(statuses).toEqual([
      // 12 of 24 hours gone: the projection doubles the spend.
      { budget: budgets[0], ...day, spentPusd: 5n * USD, projectedPusd: 10n * USD, state: 'ok' },
      // Monday 2025-12-29 to Monday 2026-01-05: 84 of 168 hours gone.
      {
        budget: budgets[1],
        periodStartMs: T0 - 72 * HOUR,
        periodEndMs: T0 + 96 * HOUR,
        spentPusd: 5n * USD,
        projectedPusd: 10n * USD,
        state: 'exceeded',
      },
      { budget: budgets[2], ...day, spentPusd: 2n * USD, projectedPusd: 4n * USD, state: 'exceeded' },
      // January: 12 of 744 hours gone.
      {
        budget: budgets[3],
        periodStartMs: T0,
        periodEndMs: T0 + 744 * HOUR,
        spentPusd: 6n * USD,
        projectedPusd: 372n * USD,
        state: 'ok',
      },
      { budget: budgets[4], ...day, spentPusd: 2n * USD, projectedPusd: 4n * USD, state: 'ok' },
      { budget: budgets[5], ...day, spentPusd: 2n * USD, projectedPusd: 4n * USD, state: 'warning' },
      { budget: budgets[6], ...day, spentPusd: 5n * USD, projectedPusd: 10n * USD, state: 'critical' },
    ]);
  });

  it('gives nothing for no budgets, and 0 for a subject without spend', async () => {
    expect(await evaluateBudgets(ledger, [], NOW, 'UTC')).toEqual([]);
    expect(
      (await evaluateBudgets(ledger, [of('user', 'nobody', 'daily', USD)], NOW, 'UTC')).map((s) => s.spentPusd)
    ).toEqual([0n]);
  });

  it('takes the period in the configured time zone', async () => {
    // In Tokyo (UTC+9) 12:00 UTC is 21:00 on 2026-01-01: the day began at 15:00 UTC the day before and holds a, c and e.
    const [s] = await evaluateBudgets(ledger, [of('global', 'global', 'daily', USD)], NOW, 'Asia/Tokyo');
    expect(s).toMatchObject({ periodStartMs: T0 - 9 * HOUR, periodEndMs: T0 + 15 * HOUR, spentPusd: 10n * USD });
  });
});

describe('budget JSON', () => {
  const status = (limitPusd: bigint, spentPusd: bigint): BudgetStatus => ({
    budget: budget(limitPusd),
    periodStartMs: Date.parse('2026-01-01T00:00:00Z'),
    periodEndMs: Date.parse('2026-02-01T00:00:00Z'),
    spentPusd,
    projectedPusd: 3n * spentPusd,
    state: 'warning',
  });

  it('gives exact amounts, the utilisation and the thresholds as fractions', () => {
    expect(budgetJson(status(100_000_000_000_000n, 85_000_000_000_000n))).toEqual({
      scope: 'team',
      subject: 'eng',
      period: 'monthly',
      periodStart: '2026-01-01T00:00:00.000Z',
      periodEnd: '2026-02-01T00:00:00.000Z',
      limitUsd: '100.000000000000',
      spentUsd: '85.000000000000',
      projectedUsd: '255.000000000000',
      utilisation: 0.85,
      thresholds: { warning: 0.8, critical: 0.95, exceeded: 1 },
      state: 'warning',
    });
  });

  it('gives no utilisation for a zero limit', () => {
    expect(budgetJson(status(0n, 1n)).utilisation).toBeNull();
  });
});
