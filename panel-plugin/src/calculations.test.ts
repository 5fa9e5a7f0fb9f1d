import { calculate, inTimeOrder } from './calculations';

const samples = [
  { time: 3, value: 4 },
  { time: 1, value: 10 },
  { time: 2, value: 1 },
];

describe('calculate', () => {
  const ordered = inTimeOrder(samples);

  it.each([
    ['lastNotNull', 4],
    ['sum', 15],
    ['max', 10],
    ['mean', 5],
  ] as const)('%s', (calculation, expected) => {
    expect(calculate(ordered, calculation)).toBe(expected);
  });

  it('has nothing to say about no samples', () => {
    expect(calculate([], 'sum')).toBeUndefined();
    expect(calculate(undefined, 'max')).toBeUndefined();
  });
});

describe('inTimeOrder', () => {
  it('sorts by time without changing the input', () => {
    expect(inTimeOrder(samples).map((sample) => sample.value)).toEqual([10, 1, 4]);
    expect(samples[0].value).toBe(4);
  });
});
