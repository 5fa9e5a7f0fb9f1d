import type { Budget, Crossing, RangeMs, ThresholdName, TimeSeriesPoint } from './types';

// BigInt() calls, not literals: the scaffold's tsconfig targets ES2015.
const PICO_PER_USD = BigInt(1e12);
const PPM = BigInt(1e6);
const ZERO = BigInt(0);

const THRESHOLDS: ThresholdName[] = ['warning', 'critical', 'exceeded'];

/** An exact USD decimal string ("12.300000000000") as integer pico-USD. */
export function toPicoUsd(usd: string): bigint {
  const [whole = '0', fraction = ''] = usd.split('.');
  return BigInt(whole) * PICO_PER_USD + BigInt(fraction.padEnd(12, '0').slice(0, 12));
}

/**
 * The part of the budget's current period that lies before the end of the dashboard range: cumulative spend
 * must start at the period start even when the dashboard range starts later. Undefined when there is nothing
 * to look at (period after the range, or a zero limit, which has no thresholds to cross).
 */
export function budgetWindow(budget: Budget, range: RangeMs): RangeMs | undefined {
  const fromMs = Date.parse(budget.periodStart);
  const toMs = Math.min(Date.parse(budget.periodEnd), range.toMs);
  if (toMs <= fromMs || toMs <= range.fromMs || toPicoUsd(budget.limitUsd) === ZERO) {
    return undefined;
  }
  return { fromMs, toMs };
}

/**
 * Where the cumulative cost of `points` (the budget's subject, from the period start, in time order) first
 * reaches each threshold: cost × 10⁶ ≥ limit × round(fraction × 10⁶), exactly. Only crossings inside `range`.
 */
export function thresholdCrossings(
  budget: Budget,
  points: Array<Pick<TimeSeriesPoint, 'time' | 'costUsd'>>,
  range: RangeMs
): Crossing[] {
  const limit = toPicoUsd(budget.limitUsd);
  const pending = THRESHOLDS.map((threshold) => ({ threshold, fraction: budget.thresholds[threshold] }));
  const crossings: Crossing[] = [];
  let cumulative = ZERO;
  for (const point of points) {
    cumulative += toPicoUsd(point.costUsd);
    while (pending.length > 0 && cumulative * PPM >= limit * BigInt(Math.round(pending[0]!.fraction * 1_000_000))) {
      const { threshold, fraction } = pending.shift()!;
      const timeMs = Date.parse(point.time);
      if (timeMs >= range.fromMs && timeMs < range.toMs) {
        const percent = `${Math.round(fraction * 100)} %`;
        crossings.push({
          timeMs,
          budget,
          threshold,
          title: `${budget.scope} ${budget.subject}: ${percent} of the ${budget.period} budget`,
          text: `Cost since ${budget.periodStart} reached ${percent} (${threshold}) of the ${Number(budget.limitUsd)} USD limit.`,
        });
      }
    }
  }
  return crossings;
}
