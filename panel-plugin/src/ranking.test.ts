import {
  budgetBurnOptions,
  chargebackDailyFrame,
  chargebackFrame,
  prometheusBudgetBurnFrames,
  spenders,
} from './__fixtures__/frames';
import { defaultOptions } from './defaults';
import { parseFrames } from './frames';
import { rankSubjects, shareOf, type RankingOptions } from './ranking';
import type { SubjectSamples } from './types';

const options: RankingOptions = { limit: 10, sortOrder: 'desc', calculation: 'lastNotNull' };
const subject = (name: string, value: number, extra: SubjectSamples['metrics'] = {}): SubjectSamples => ({
  key: name,
  subject: name,
  label: name,
  metrics: { value: [{ value }], ...extra },
});

describe('rankSubjects', () => {
  it('orders by value, highest first, and numbers the ranks', () => {
    const ranking = rankSubjects([subject('b', 5), subject('a', 20), subject('c', 12)], options);
    expect(ranking.rows.map((row) => [row.rank, row.subject])).toEqual([
      [1, 'a'],
      [2, 'c'],
      [3, 'b'],
    ]);
  });

  it('orders lowest first when asked', () => {
    const ranking = rankSubjects([subject('b', 5), subject('a', 20), subject('c', 12)], {
      ...options,
      sortOrder: 'asc',
    });
    expect(ranking.rows.map((row) => row.subject)).toEqual(['b', 'c', 'a']);
  });

  it('breaks ties by name so the order does not flicker', () => {
    const ranking = rankSubjects([subject('zoe', 1), subject('adam', 1), subject('mia', 1)], options);
    expect(ranking.rows.map((row) => row.subject)).toEqual(['adam', 'mia', 'zoe']);
  });

  it('keeps the top N but counts every subject', () => {
    const ranking = rankSubjects([subject('a', 1), subject('b', 2), subject('c', 3), subject('d', 4)], {
      ...options,
      limit: 2,
    });
    expect(ranking.rows.map((row) => row.subject)).toEqual(['d', 'c']);
    expect(ranking.subjectCount).toBe(4);
    expect(ranking.total).toBe(10);
  });

  it('gives shares of the total over all subjects, not only the ones shown', () => {
    const ranking = rankSubjects([subject('a', 50), subject('b', 30), subject('c', 20)], { ...options, limit: 2 });
    expect(ranking.rows.map((row) => row.share)).toEqual([0.5, 0.3]);
  });

  it('has shares that add up to one over every subject of the chargeback sample', () => {
    const parsed = parseFrames([chargebackFrame()], defaultOptions);
    const ranking = rankSubjects(parsed.subjects, { ...options, limit: 100 });
    const total = spenders.reduce((sum, s) => sum + s.costUsd, 0);
    expect(ranking.total).toBeCloseTo(total, 6);
    expect(ranking.rows.reduce((sum, row) => sum + row.share, 0)).toBeCloseTo(1, 10);
    expect(ranking.rows[0]).toMatchObject({ subject: 'maria.chen', value: 1842.5 });
    expect(ranking.rows[0].share).toBeCloseTo(1842.5 / total, 10);
  });

  it('adds input and output tokens and keeps requests', () => {
    const ranking = rankSubjects(
      [subject('a', 1, { inputTokens: [{ value: 100 }], outputTokens: [{ value: 20 }], requests: [{ value: 3 }] })],
      options
    );
    expect(ranking.rows[0]).toMatchObject({ tokens: 120, requests: 3 });
  });

  it('prefers a total tokens field over the sum of its parts', () => {
    const ranking = rankSubjects(
      [subject('a', 1, { tokens: [{ value: 500 }], inputTokens: [{ value: 100 }] })],
      options
    );
    expect(ranking.rows[0].tokens).toBe(500);
  });

  it('works out budget utilisation from limit and spent, or from the value when spent is absent', () => {
    const ranking = rankSubjects(
      [
        subject('a', 90, { limit: [{ value: 100 }], spent: [{ value: 120 }] }),
        subject('b', 45, { limit: [{ value: 50 }] }),
        subject('c', 10, { limit: [{ value: 0 }] }),
        subject('d', 5),
      ],
      options
    );
    expect(ranking.rows.map((row) => row.budget)).toEqual([
      { limit: 100, spent: 120, utilisation: 1.2 },
      { limit: 50, spent: 45, utilisation: 0.9 },
      undefined,
      undefined,
    ]);
  });

  it('reduces time series with the chosen calculation and keeps the trend in time order', () => {
    const parsed = parseFrames([chargebackDailyFrame()], defaultOptions);
    const summed = rankSubjects(parsed.subjects, { ...options, calculation: 'sum' });
    const maria = summed.rows.find((row) => row.subject === 'maria.chen');
    expect(maria?.value).toBeCloseTo(1842.5, 6);
    expect(maria?.tokens).toBe(98_400_000 + 21_300_000);
    expect(maria?.trend).toHaveLength(7);
    expect(maria?.trend[6]).toBeGreaterThan(maria?.trend[0] ?? Infinity);

    const last = rankSubjects(parsed.subjects, options);
    expect(last.rows.find((row) => row.subject === 'maria.chen')?.value).toBeCloseTo(maria?.trend[6] ?? 0, 10);
  });

  it('draws no trend without a time field', () => {
    const ranking = rankSubjects([subject('a', 1, { value: [{ value: 1 }, { value: 2 }] })], options);
    expect(ranking.rows[0].trend).toEqual([]);
  });

  it('leaves out subjects that only have a budget', () => {
    const ranking = rankSubjects(
      [subject('a', 1), { key: 'b', subject: 'b', label: 'b', metrics: { limit: [{ value: 10 }] } }],
      options
    );
    expect(ranking.rows.map((row) => row.subject)).toEqual(['a']);
    expect(ranking.subjectCount).toBe(1);
  });
});

describe('rankSubjects: budgets', () => {
  const burn = (withThresholds: boolean, calculation: RankingOptions['calculation'] = 'lastNotNull') =>
    rankSubjects(
      parseFrames(prometheusBudgetBurnFrames(undefined, withThresholds), { ...defaultOptions, ...budgetBurnOptions })
        .subjects,
      {
        ...options,
        calculation,
      }
    );

  it('ranks every budget of a subject as a row of its own', () => {
    const ranking = burn(true);
    expect(ranking.rows.map((row) => [row.label, row.value, row.budget?.utilisation])).toEqual([
      ['eng — monthly', 600, 0.6],
      ['ann (team) — weekly', 310, 310 / 300],
      ['eng — daily', 38, 0.95],
      ['ann (user) — weekly', 20, 0.4],
    ]);
    expect(ranking.total).toBe(310 + 600 + 38 + 20);
    expect(ranking.subjectCount).toBe(4);
  });

  it('gives each budget its own thresholds and the state they put it in; none when the data has none', () => {
    const rows = new Map(burn(true).rows.map((row) => [row.label, row.budget]));
    expect(rows.get('eng — monthly')?.state).toBe('warning');
    expect(rows.get('eng — monthly')?.thresholds?.steps.map((step) => step.value)).toEqual([-Infinity, 50, 90, 100]);
    expect(rows.get('eng — daily')?.state).toBe('critical');
    // 103 % is past the panel's 100 % but short of this budget's own 105 %.
    expect(rows.get('ann (team) — weekly')?.state).toBe('critical');
    expect(rows.get('ann (user) — weekly')).toEqual({ limit: 50, spent: 20, utilisation: 0.4 });

    expect(
      burn(false).rows.every((row) => row.budget?.thresholds === undefined && row.budget?.state === undefined)
    ).toBe(true);
  });

  it('takes the latest threshold whatever the calculation', () => {
    const rows = new Map(burn(true, 'sum').rows.map((row) => [row.label, row.budget]));
    expect(rows.get('eng — monthly')?.thresholds?.steps.map((step) => step.value)).toEqual([-Infinity, 50, 90, 100]);
  });
});

describe('shareOf', () => {
  it.each([
    [25, 100, 0.25],
    [0, 100, 0],
    [-5, 100, 0],
    [10, 0, 0],
  ])('%p of %p is %p', (value, total, share) => {
    expect(shareOf(value, total)).toBe(share);
  });
});
