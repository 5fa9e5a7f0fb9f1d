import { emptyPriceBook, mergePriceBooks, PriceBook, PriceBookError, RatePeriod, ratePerToken } from './priceBook';

const rate = (value: unknown, perTokens: bigint, warnings: string[] = []): bigint =>
  ratePerToken(value, perTokens, 'b.yaml: m.input', warnings);
const flat = (n: bigint) => ({ inputUncached: n, cacheRead: n, cacheWrite: n, output: n });
const period = (effectiveFromMs: number, n: bigint): RatePeriod => ({ effectiveFromMs, rates: flat(n) });

describe('ratePerToken', () => {
  it('turns USD per N tokens into exact pico-USD per token', () => {
    expect(rate('2.5', 1_000_000n)).toBe(2_500_000n); // 2.5e-6 USD
    expect(rate(2.5, 1n)).toBe(2_500_000_000_000n);
    expect(rate(1, 1000n)).toBe(1_000_000_000n); // 1e-3 USD
    expect(rate('0', 1_000_000n)).toBe(0n);
  });

  it('warns, rounding half to even, only when a rate is finer than one pico-USD per token', () => {
    const warnings: string[] = [];
    expect(rate('0.0000025', 1_000_000n, warnings)).toBe(2n); // 2.5 pico-USD rounds to 2
    expect(rate('1.5e-12', 1n, warnings)).toBe(2n); // 1.5 pico-USD rounds to 2
    expect(rate('0.000001', 1_000_000n, warnings)).toBe(1n); // exactly 1 pico-USD: no warning
    expect(warnings).toEqual([
      'b.yaml: m.input: 0.0000025 USD per 1,000,000 tokens is finer than one pico-USD (1e-12 USD) per token; rounded to 2 pico-USD per token',
      'b.yaml: m.input: 1.5e-12 USD per token is finer than one pico-USD (1e-12 USD) per token; rounded to 2 pico-USD per token',
    ]);
  });

  it.each([
    [true, 'b.yaml: m.input: expected a price (number or decimal string), got true'],
    [null, 'b.yaml: m.input: expected a price (number or decimal string), got null'],
    [{ usd: 1 }, 'b.yaml: m.input: expected a price (number or decimal string), got {"usd":1}'],
    ['1,5', 'b.yaml: m.input: "1,5" is not a decimal number'],
    [Infinity, 'b.yaml: m.input: null is not a decimal number'],
    ['-0.01', 'b.yaml: m.input: a price cannot be negative (-0.01)'],
    [-1, 'b.yaml: m.input: a price cannot be negative (-1)'],
  ])('refuses %p, naming where it is', (value, message) => {
    expect(() => rate(value, 1_000_000n)).toThrow(PriceBookError);
    expect(() => rate(value, 1_000_000n)).toThrow(message);
  });
});

describe('mergePriceBooks', () => {
  const book = (version: string, fill: (b: PriceBook) => void): PriceBook => {
    const b = emptyPriceBook(version);
    fill(b);
    return b;
  };

  it('gives a single book back as it is', () => {
    const only = emptyPriceBook('only');
    expect(mergePriceBooks([only])).toBe(only);
  });

  it('names the merged book after its parts, and an empty book "empty"', () => {
    expect(mergePriceBooks([emptyPriceBook('a'), emptyPriceBook('b'), emptyPriceBook('c')]).version).toBe('a+b+c');
    expect(emptyPriceBook().version).toBe('empty');
  });

  it('adds models and periods; a later period at the same date replaces the earlier one; periods stay in date order', () => {
    const a = book('a', (b) => {
      b.models.set('m', [period(0, 1n), period(200, 2n)]);
      b.models.set('only-a', [period(0, 9n)]);
    });
    const b = book('b', (x) => x.models.set('m', [period(100, 3n), period(200, 4n)]));
    const merged = mergePriceBooks([a, b]);
    expect(merged.models.get('m')!.map((p) => [p.effectiveFromMs, p.rates.output])).toEqual([
      [0, 1n],
      [100, 3n],
      [200, 4n],
    ]);
    expect(merged.models.get('only-a')).toEqual([period(0, 9n)]);
  });

  it('sorts periods of a later book in among the earlier ones by date', () => {
    const a = book('a', (b) => b.models.set('m', [period(0, 1n), period(300, 2n)]));
    const b = book('b', (x) => x.models.set('m', [period(100, 3n)]));
    expect(
      mergePriceBooks([a, b])
        .models.get('m')!
        .map((p) => p.effectiveFromMs)
    ).toEqual([0, 100, 300]);
  });

  it('lets later books replace aliases and tiers, and keeps every warning in order', () => {
    const a = book('a', (b) => {
      b.aliases.set('latest', 'm1');
      b.aliases.set('old', 'm0');
      b.tiers.set('gold', { overrides: new Map(), multiplier: { units: 2n, scale: 0 } });
      b.warnings.push('w1');
    });
    const b = book('b', (x) => {
      x.aliases.set('latest', 'm2');
      x.tiers.set('gold', { overrides: new Map() });
      x.warnings.push('w2', 'w3');
    });
    const merged = mergePriceBooks([a, b]);
    expect(Object.fromEntries(merged.aliases)).toEqual({ latest: 'm2', old: 'm0' });
    expect(merged.tiers.get('gold')).toEqual({ overrides: new Map() });
    expect(merged.warnings).toEqual(['w1', 'w2', 'w3']);
  });
});
