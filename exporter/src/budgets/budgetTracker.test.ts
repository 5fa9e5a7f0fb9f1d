import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { batchOf } from '../../test/ledgerContract';
import { DuckDbLedger } from '../ledger/duckdb/duckDbLedger';
import type { Ledger } from '../ledger/ledger';
import { parseDecimal } from '../money';
import { DEFAULT_PRICING_EXTRAS, NO_TOKENS, PricedRecord } from '../types';
import { Budget, NOT_ENFORCED } from './budgets';
import { BudgetTracker } from './budgetTracker';

// The tracker over a real ledger: what it caches, what a reload changes, and the gauges it gives Prometheus.

const T0 = Date.parse('2026-01-01T00:00:00Z');
const HOUR = 3_600_000;
const USD = 1_000_000_000_000n;

const teamBudget = (team: string, limitPusd: bigint): Budget => ({
  scope: 'team',
  subject: team,
  period: 'daily',
  limitPusd,
  thresholds: { warning: parseDecimal('0.8'), critical: parseDecimal('0.95'), exceeded: parseDecimal('1') },
  ...NOT_ENFORCED,
});

describe('BudgetTracker', () => {
  let dir: string;
  let ledger: Ledger;
  let seq = 0;

  /** Commits one request of `costUsd` by team t1 at `startMs`. */
  async function spend(costUsd: bigint, startMs: number): Promise<void> {
    const r: PricedRecord = {
      requestId: `r${seq++}`,
      startMs,
      durationMs: 100,
      user: 'ann',
      apiKeyId: undefined,
      apiKeyAlias: 'k1',
      team: 't1',
      tier: 'standard',
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
      costPusd: costUsd * USD,
      chargePusd: costUsd * USD,
      priceVersion: 'v1',
    };
    await ledger.commitBatch(batchOf(ledger, [r]));
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tl-tracker-'));
    ledger = await DuckDbLedger.open(join(dir, 'l.duckdb'), { node: 'test' });
    await spend(2n, T0 + HOUR);
  });

  afterEach(async () => {
    await ledger.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reuses an evaluation for a second, then reads the ledger again', async () => {
    let now = T0 + 12 * HOUR;
    const tracker = new BudgetTracker(ledger, [teamBudget('t1', 10n * USD)], 'UTC', () => now);
    expect((await tracker.statuses())[0]!.spentPusd).toBe(2n * USD);
    await spend(3n, T0 + 2 * HOUR);
    now += 1000;
    expect((await tracker.statuses())[0]!.spentPusd).toBe(2n * USD);
    now += 1;
    expect((await tracker.statuses())[0]!.spentPusd).toBe(5n * USD);
  });

  it('evaluates the new budgets and time zone at once after a reload', async () => {
    const now = T0 + 12 * HOUR;
    const tracker = new BudgetTracker(ledger, [teamBudget('t1', 10n * USD)], 'UTC', () => now);
    await tracker.statuses();
    tracker.replace([teamBudget('t1', 1n * USD), teamBudget('t2', 1n * USD)], 'Asia/Tokyo');
    const after = await tracker.statuses();
    expect(after.map((s) => [s.budget.subject, s.spentPusd, s.state, s.periodStartMs])).toEqual([
      ['t1', 2n * USD, 'exceeded', T0 - 9 * HOUR],
      ['t2', 0n, 'ok', T0 - 9 * HOUR],
    ]);
  });

  it('does not keep a failed evaluation: the next call evaluates again', async () => {
    // A clock reading no calendar can place makes the evaluation fail; the next reading is a real time.
    const readings = [Number.NaN, T0 + 12 * HOUR];
    const tracker = new BudgetTracker(ledger, [teamBudget('t1', 10n * USD)], 'UTC', () => readings.shift()!);
    await expect(tracker.statuses()).rejects.toThrow(RangeError);
    expect((await tracker.statuses())[0]!.spentPusd).toBe(2n * USD);
  });

  it('a failed evaluation of budgets replaced since does not drop the evaluation of the new ones', async () => {
    // The first clock reading no calendar can place fails the evaluation of the old budgets, after the reload.
    const readings = [Number.NaN];
    const tracker = new BudgetTracker(ledger, [teamBudget('t1', 10n * USD)], 'UTC', () => readings.shift() ?? T0);
    const failed = tracker.statuses();
    tracker.replace([teamBudget('t2', 1n * USD)], 'UTC');
    const current = tracker.statuses();
    await expect(failed).rejects.toThrow(RangeError);
    await current;
    expect(tracker.statuses()).toBe(current); // still the one evaluation: no second ledger query
  });

  /** The spent gauge's samples, as a scrape sees them: subject and USD. */
  async function scrapeSpent(tracker: BudgetTracker): Promise<[string | number, number][]> {
    const spent = tracker.metrics().find((m) => m.name === 'tokenledger_budget_spent_usd')!;
    return (await spent.get()).values.map((s) => [s.labels.subject!, s.value]);
  }

  it('a scrape gets the last finished evaluation at once, and the refreshed one once it has finished', async () => {
    let now = T0 + 12 * HOUR;
    const tracker = new BudgetTracker(ledger, [teamBudget('t1', 10n * USD)], 'UTC', () => now);
    expect(await scrapeSpent(tracker)).toEqual([['t1', 2]]); // the first scrape waits for the first evaluation
    await spend(3n, T0 + 2 * HOUR);
    now += 1001;
    // The cached evaluation is stale: this scrape starts a new one and does not wait for it.
    expect(await scrapeSpent(tracker)).toEqual([['t1', 2]]);
    await tracker.statuses(); // the evaluation that scrape started
    expect(await scrapeSpent(tracker)).toEqual([['t1', 5]]);
  });

  it('after a reload, a scrape shows the new budgets, even when an evaluation of the old ones finishes later', async () => {
    const now = T0 + 12 * HOUR;
    const tracker = new BudgetTracker(ledger, [teamBudget('t1', 10n * USD)], 'UTC', () => now);
    expect(await scrapeSpent(tracker)).toEqual([['t1', 2]]);
    tracker.replace([teamBudget('t2', 1n * USD)], 'UTC');
    expect(await scrapeSpent(tracker)).toEqual([['t2', 0]]);

    const old = new BudgetTracker(ledger, [teamBudget('t1', 10n * USD)], 'UTC', () => now);
    const oldEvaluation = old.statuses();
    old.replace([teamBudget('t2', 1n * USD)], 'UTC');
    await oldEvaluation; // finishes after the reload: not what a scrape shows now
    expect(await scrapeSpent(old)).toEqual([['t2', 0]]);
  });

  it('gives twin limit and spent gauges per budget, the ratio only for a non-zero limit', async () => {
    const tracker = new BudgetTracker(
      ledger,
      [teamBudget('t1', 10n * USD), teamBudget('t2', 0n)],
      'UTC',
      () => T0 + 12 * HOUR
    );
    const registry = new Registry();
    for (const m of tracker.metrics()) m.registerIn(registry);
    const t1 = 'scope="team",subject="t1",period="daily"';
    const t2 = 'scope="team",subject="t2",period="daily"';
    expect(await registry.metrics()).toBe(
      [
        '# HELP tokenledger_budget_limit_usd Budget limit for the current period, USD.',
        '# TYPE tokenledger_budget_limit_usd gauge',
        `tokenledger_budget_limit_usd{${t1}} 10`,
        `tokenledger_budget_limit_usd{${t2}} 0`,
        '',
        '# HELP tokenledger_budget_spent_usd Spend in the current budget period from the ledger (provider list cost), USD.',
        '# TYPE tokenledger_budget_spent_usd gauge',
        `tokenledger_budget_spent_usd{${t1}} 2`,
        `tokenledger_budget_spent_usd{${t2}} 0`,
        '',
        '# HELP tokenledger_budget_utilisation_ratio Spent divided by limit in the current period; absent for a zero limit.',
        '# TYPE tokenledger_budget_utilisation_ratio gauge',
        `tokenledger_budget_utilisation_ratio{${t1}} 0.2`,
        '',
        "# HELP tokenledger_budget_projected_spend_usd Projected spend at the end of the period at the period's average burn rate so far, USD.",
        '# TYPE tokenledger_budget_projected_spend_usd gauge',
        `tokenledger_budget_projected_spend_usd{${t1}} 4`,
        `tokenledger_budget_projected_spend_usd{${t2}} 0`,
        '',
        '# HELP tokenledger_budget_threshold_ratio Alert thresholds of a budget as fractions of its limit, by severity.',
        '# TYPE tokenledger_budget_threshold_ratio gauge',
        `tokenledger_budget_threshold_ratio{${t1},severity="warning"} 0.8`,
        `tokenledger_budget_threshold_ratio{${t1},severity="critical"} 0.95`,
        `tokenledger_budget_threshold_ratio{${t1},severity="exceeded"} 1`,
        `tokenledger_budget_threshold_ratio{${t2},severity="warning"} 0.8`,
        `tokenledger_budget_threshold_ratio{${t2},severity="critical"} 0.95`,
        `tokenledger_budget_threshold_ratio{${t2},severity="exceeded"} 1`,
        '',
        '# HELP tokenledger_budget_period_start_timestamp_seconds Unix time at which the current budget period started.',
        '# TYPE tokenledger_budget_period_start_timestamp_seconds gauge',
        `tokenledger_budget_period_start_timestamp_seconds{${t1}} 1767225600`,
        `tokenledger_budget_period_start_timestamp_seconds{${t2}} 1767225600`,
        '',
        '# HELP tokenledger_budget_period_end_timestamp_seconds Unix time at which the current budget period ends.',
        '# TYPE tokenledger_budget_period_end_timestamp_seconds gauge',
        `tokenledger_budget_period_end_timestamp_seconds{${t1}} 1767312000`,
        `tokenledger_budget_period_end_timestamp_seconds{${t2}} 1767312000`,
        '',
      ].join('\n')
    );
  });
});
