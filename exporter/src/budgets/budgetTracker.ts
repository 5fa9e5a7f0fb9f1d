import type { Ledger } from '../ledger/ledger';
import { picoToUsdNumber } from '../money';
import type { Sample } from '../metrics/snapshotMetric';
import { SnapshotMetric } from '../metrics/snapshotMetric';
import { Budget, BudgetStatus, decimalNumber, evaluateBudgets, THRESHOLD_NAMES } from './budgets';

/** How long an evaluation is reused: a scrape and an API call a moment apart share one ledger query. */
const CACHE_MS = 1000;

/**
 * The configured budgets (replaced on reload) and their current status, evaluated from the ledger on
 * demand and cached briefly. Serves both /api/v1/budgets and the tokenledger_budget_* gauges.
 */
export class BudgetTracker {
  private cached: { atMs: number; statuses: Promise<BudgetStatus[]> } | undefined;
  /** The last evaluation that finished for the current budgets: what a scrape shows while the next one runs. */
  private settled: BudgetStatus[] | undefined;

  constructor(
    private readonly ledger: Ledger,
    private budgets: Budget[],
    private timeZone: string,
    private readonly now: () => number = Date.now
  ) {}

  replace(budgets: Budget[], timeZone: string): void {
    this.budgets = budgets;
    this.timeZone = timeZone;
    this.cached = undefined;
    this.settled = undefined;
  }

  statuses(): Promise<BudgetStatus[]> {
    const now = this.now();
    if (!this.cached || now - this.cached.atMs > CACHE_MS) {
      const entry = { atMs: now, statuses: evaluateBudgets(this.ledger, this.budgets, now, this.timeZone) };
      this.cached = entry;
      entry.statuses.then(
        (s) => this.cached === entry && (this.settled = s),
        () => this.cached === entry && (this.cached = undefined)
      );
    }
    return this.cached.statuses;
  }

  /**
   * For the gauges: the last finished evaluation, refreshed in the background once it is older than CACHE_MS,
   * so a scrape does not wait behind API queries for the ledger (only the first one does).
   */
  private forScrape(): Promise<BudgetStatus[]> {
    const fresh = this.statuses();
    return this.settled ? Promise.resolve(this.settled) : fresh;
  }

  /** The tokenledger_budget_* gauges: twin limit/spent series with identical labels, so alerts are one ratio. */
  metrics(): SnapshotMetric[] {
    const gauge = (name: string, help: string, value: (s: BudgetStatus) => Sample[]) =>
      new SnapshotMetric(name, help, 'gauge', async () => (await this.forScrape()).flatMap(value));
    const labels = (s: BudgetStatus) => ({ scope: s.budget.scope, subject: s.budget.subject, period: s.budget.period });
    return [
      gauge('tokenledger_budget_limit_usd', 'Budget limit for the current period, USD.', (s) => [
        { labels: labels(s), value: picoToUsdNumber(s.budget.limitPusd) },
      ]),
      gauge(
        'tokenledger_budget_spent_usd',
        'Spend in the current budget period from the ledger (provider list cost), USD.',
        (s) => [{ labels: labels(s), value: picoToUsdNumber(s.spentPusd) }]
      ),
      gauge(
        'tokenledger_budget_utilisation_ratio',
        'Spent divided by limit in the current period; absent for a zero limit.',
        (s) =>
          s.budget.limitPusd > 0n
            ? [{ labels: labels(s), value: picoToUsdNumber(s.spentPusd) / picoToUsdNumber(s.budget.limitPusd) }]
            : []
      ),
      gauge(
        'tokenledger_budget_projected_spend_usd',
        "Projected spend at the end of the period at the period's average burn rate so far, USD.",
        (s) => [{ labels: labels(s), value: picoToUsdNumber(s.projectedPusd) }]
      ),
      gauge(
        'tokenledger_budget_threshold_ratio',
        'Alert thresholds of a budget as fractions of its limit, by severity.',
        (s) =>
          THRESHOLD_NAMES.map((t) => ({
            labels: { ...labels(s), severity: t },
            value: decimalNumber(s.budget.thresholds[t]),
          }))
      ),
      gauge(
        'tokenledger_budget_period_start_timestamp_seconds',
        'Unix time at which the current budget period started.',
        (s) => [{ labels: labels(s), value: s.periodStartMs / 1000 }]
      ),
      gauge(
        'tokenledger_budget_period_end_timestamp_seconds',
        'Unix time at which the current budget period ends.',
        (s) => [{ labels: labels(s), value: s.periodEndMs / 1000 }]
      ),
    ];
  }
}
