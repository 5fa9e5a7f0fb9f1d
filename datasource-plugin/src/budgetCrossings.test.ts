import { budgetWindow, thresholdCrossings, toPicoUsd } from './budgetCrossings';
import type { Budget } from './types';

const budget: Budget = {
  scope: 'team',
  subject: 'engineering',
  period: 'monthly',
  periodStart: '2026-11-01T00:00:00.000Z',
  periodEnd: '2026-12-01T00:00:00.000Z',
  limitUsd: '10.000000000000',
  spentUsd: '9.600000000000',
  projectedUsd: '12.000000000000',
  utilisation: 0.96,
  thresholds: { warning: 0.8, critical: 0.95, exceeded: 1 },
  state: 'critical',
};
const day = (d: number) => `2026-11-${String(d).padStart(2, '0')}T00:00:00.000Z`;
const all = { fromMs: Date.parse('2026-10-01'), toMs: Date.parse('2027-01-01') };

describe('toPicoUsd', () => {
  it('reads exact decimal strings', () => {
    expect(toPicoUsd('12.345000000001')).toBe(BigInt('12345000000001'));
    expect(toPicoUsd('0.5')).toBe(BigInt('500000000000'));
    expect(toPicoUsd('3')).toBe(BigInt('3000000000000'));
  });
});

describe('thresholdCrossings', () => {
  const points = [
    { time: day(1), costUsd: '4.000000000000' },
    { time: day(2), costUsd: '3.999999999999' }, // 7.999999999999: one pico short of 80 %
    { time: day(3), costUsd: '0.000000000001' }, // 8.000000000000: warning, exactly
    { time: day(4), costUsd: '1.600000000000' }, // 9.6: critical
    { time: day(5), costUsd: '0.100000000000' }, // 9.7
  ];

  it('marks the bucket where the cumulative cost first reaches each threshold, exactly', () => {
    const crossings = thresholdCrossings(budget, points, all);
    expect(crossings.map((c) => [new Date(c.timeMs).toISOString(), c.threshold])).toEqual([
      [day(3), 'warning'],
      [day(4), 'critical'],
    ]);
    expect(crossings[0]!.title).toBe('team engineering: 80 % of the monthly budget');
    expect(crossings[1]!.text).toContain('95 % (critical) of the 10 USD limit');
  });

  it('reports several thresholds crossed in one bucket', () => {
    expect(
      thresholdCrossings(budget, [{ time: day(2), costUsd: '11.000000000000' }], all).map((c) => c.threshold)
    ).toEqual(['warning', 'critical', 'exceeded']);
  });

  it('keeps only crossings inside the dashboard range, counting spend from the period start', () => {
    const range = { fromMs: Date.parse(day(4)), toMs: Date.parse(day(6)) };
    expect(thresholdCrossings(budget, points, range).map((c) => c.threshold)).toEqual(['critical']);
  });
});

describe('budgetWindow', () => {
  it('runs from the period start to the end of the range or of the period, whichever is first', () => {
    expect(budgetWindow(budget, { fromMs: Date.parse(day(10)), toMs: Date.parse(day(12)) })).toEqual({
      fromMs: Date.parse(day(1)),
      toMs: Date.parse(day(12)),
    });
    expect(budgetWindow(budget, all)).toEqual({ fromMs: Date.parse(day(1)), toMs: Date.parse('2026-12-01') });
  });

  it('is empty for a range before the period and for a zero limit', () => {
    expect(budgetWindow(budget, { fromMs: 0, toMs: Date.parse('2026-10-31') })).toBeUndefined();
    expect(budgetWindow({ ...budget, limitUsd: '0.000000000000' }, all)).toBeUndefined();
  });
});
