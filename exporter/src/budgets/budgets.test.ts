import { parseDecimal } from '../pricing/money';
import { Budget, budgetState, project } from './budgets';

const budget = (limitPusd: bigint): Budget => ({
  scope: 'team',
  subject: 'eng',
  period: 'monthly',
  limitPusd,
  thresholds: { warning: parseDecimal('0.8'), critical: parseDecimal('0.95'), exceeded: parseDecimal('1') },
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

describe('projection', () => {
  it('extrapolates the period average to the period end', () => {
    // 10 USD spent in the first 10 of 30 days -> 30 USD.
    const day = 86_400_000;
    expect(project(10_000_000_000_000n, 0, 30 * day, 10 * day)).toBe(30_000_000_000_000n);
  });

  it('takes the rate over at least an hour, and is the spend itself once the period is over', () => {
    expect(project(1_000n, 0, 7_200_000, 60_000)).toBe(2_000n);
    expect(project(1_000n, 0, 7_200_000, 9_000_000)).toBe(1_000n);
  });
});
