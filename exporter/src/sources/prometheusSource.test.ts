import fc from 'fast-check';
import { increaseOver, Series, stepRecords } from './prometheusSource';

const s = (pairs: [number, number][]) => pairs.map(([t, v]) => ({ t, v }));
const O = {
  tokensMetric: 'authorized_hits',
  requestsMetric: 'authorized_calls',
  labels: { user: 'user', tier: 'tier', model: 'model' },
};

describe('increaseOver', () => {
  it('counts growth after the baseline, and a drop as a reset counted from zero', () => {
    const samples = s([
      [1000, 50],
      [2000, 70],
      [3000, 5],
      [4000, 9],
      [5000, 100],
    ]);
    expect(increaseOver(samples, 1000, 4000)).toBe(20 + 5 + 4);
    expect(increaseOver(samples, 4000, 5000)).toBe(91);
  });

  it('counts a series with no sample before the step from zero', () => {
    expect(
      increaseOver(
        s([
          [1500, 7],
          [1800, 9],
        ]),
        1000,
        2000
      )
    ).toBe(9);
  });

  it('over consecutive steps, adds up to the growth of the counter, resets included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(1000), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 9 }),
        (vs, step) => {
          const samples = vs.map((v, i) => ({ t: (i + 1) * 1000, v }));
          let growth = 0;
          vs.forEach((v, i) => (growth += i === 0 || v < vs[i - 1]! ? v : v - vs[i - 1]!));
          let total = 0;
          for (let start = 0; start < (vs.length + 1) * 1000; start += step * 1000)
            total += increaseOver(samples, start, start + step * 1000);
          expect(total).toBe(growth);
        }
      )
    );
  });
});

describe('stepRecords', () => {
  const series = (labels: Record<string, string>, pairs: [number, number][]): Series => ({ labels, samples: s(pairs) });

  it('makes one record per tokens series with usage, ids stable per series and step, and request records for the calls beyond them', () => {
    const tokens = [
      series({ user: 'alice', tier: 'free', model: 'granite' }, [
        [0, 100],
        [60_000, 400],
      ]),
      series({ user: 'alice', tier: 'free', model: 'llama' }, [
        [0, 10],
        [60_000, 30],
      ]),
      series({ user: 'bob', tier: 'premium', model: 'granite' }, [
        [0, 5],
        [60_000, 5],
      ]),
    ];
    // Limitador's authorized_calls has no model label (MaaS telemetry-defaults-and-cardinality.md).
    const requests = [
      series({ user: 'alice', tier: 'free' }, [
        [0, 1],
        [60_000, 6],
      ]),
      series({ user: 'bob', tier: 'premium' }, [
        [0, 2],
        [60_000, 3],
      ]),
    ];
    const records = stepRecords(O, tokens, requests, 0, 60_000);
    expect(records.map((r) => [r.user, r.tier, r.model, r.usage.prompt_tokens])).toEqual([
      ['alice', 'free', 'granite', 300],
      ['alice', 'free', 'llama', 20],
      ['alice', 'free', 'granite', 0],
      ['alice', 'free', 'granite', 0],
      ['alice', 'free', 'granite', 0],
      ['bob', 'premium', 'granite', 0],
    ]);
    expect(new Set(records.map((r) => r.request_id)).size).toBe(records.length);
    expect(stepRecords(O, tokens, requests, 0, 60_000)).toEqual(records);
    expect(records.every((r) => r.start_time === 0)).toBe(true);
  });
});
