import {
  decimalToPico,
  divRoundHalfEven,
  formatPicoUsd,
  multiplyByDecimal,
  parseDecimal,
  picoToUsdNumber,
  usdToPico,
} from './money';

describe('parseDecimal', () => {
  it.each([
    ['2.50', 250n, 2],
    ['1.875e-8', 1875n, 11],
    ['-3', -3n, 0],
    ['.5', 5n, 1],
    ['1e3', 1000n, 0],
  ])('parses %s exactly', (text, units, scale) => {
    expect(parseDecimal(text)).toEqual({ units, scale });
  });

  it('takes numbers through their shortest representation, not their binary value', () => {
    // 0.1 + 0.2 is 0.30000000000000004 in binary; the literal 0.3 must stay 0.3.
    expect(parseDecimal(0.3)).toEqual({ units: 3n, scale: 1 });
    expect(parseDecimal(2.5e-6)).toEqual({ units: 25n, scale: 7 });
  });

  it.each(['', 'abc', '1.2.3', '.', '1e'])('rejects %p', (text) => {
    expect(() => parseDecimal(text)).toThrow(/not a decimal/);
  });
});

describe('pico conversion', () => {
  it('converts USD per token to pico-USD per token', () => {
    expect(decimalToPico(parseDecimal('2.5e-6'))).toEqual({ pico: 2_500_000n, exact: true });
    expect(decimalToPico(parseDecimal('1.875e-8'))).toEqual({ pico: 18_750n, exact: true });
  });

  it('rounds half to even and reports inexact conversions', () => {
    expect(decimalToPico(parseDecimal('0.0000000000005'))).toEqual({ pico: 0n, exact: false });
    expect(decimalToPico(parseDecimal('0.0000000000015'))).toEqual({ pico: 2n, exact: false });
  });

  it('divRoundHalfEven handles negatives symmetrically', () => {
    expect(divRoundHalfEven(-15n, 10n)).toBe(-2n);
    expect(divRoundHalfEven(-25n, 10n)).toBe(-2n);
    expect(divRoundHalfEven(26n, 10n)).toBe(3n);
  });

  it('multiplies by an exact decimal factor', () => {
    expect(multiplyByDecimal(1_000_000n, parseDecimal('1.25'))).toBe(1_250_000n);
    expect(multiplyByDecimal(3n, parseDecimal('0.5'))).toBe(2n); // 1.5 rounds to even 2
  });

  it('formats exactly with 12 decimals', () => {
    expect(formatPicoUsd(12_345_678_901_000n)).toBe('12.345678901000');
    expect(formatPicoUsd(5n)).toBe('0.000000000005');
    expect(formatPicoUsd(-1_500_000_000_000n)).toBe('-1.500000000000');
  });

  it('sums of many small amounts stay exact where float sums drift', () => {
    const tenth = decimalToPico(parseDecimal('0.1')).pico;
    let exact = 0n;
    let float = 0;
    for (let i = 0; i < 1000; i++) {
      exact += tenth;
      float += 0.1;
    }
    expect(formatPicoUsd(exact)).toBe('100.000000000000');
    expect(float).not.toBe(100);
    expect(picoToUsdNumber(exact)).toBe(100);
  });
});

describe('money: edges', () => {
  it('parseDecimal ignores surrounding blanks and refuses numbers that are not finite', () => {
    expect(parseDecimal(' 2.5 \n')).toEqual({ units: 25n, scale: 1 });
    expect(() => parseDecimal(Infinity)).toThrow('not a finite number: Infinity');
    expect(() => parseDecimal(NaN)).toThrow('not a finite number: NaN');
  });

  it('parseDecimal moves a positive exponent into the units', () => {
    expect(parseDecimal('1.25e2')).toEqual({ units: 125n, scale: 0 });
    expect(parseDecimal('1.5e3')).toEqual({ units: 1500n, scale: 0 });
    expect(parseDecimal('+0.5e-1')).toEqual({ units: 5n, scale: 2 });
  });

  it('divRoundHalfEven rounds exact halves to the even neighbour and everything else to the nearest', () => {
    expect([5n, 14n, 15n, 25n, 35n, 36n, 40n].map((n) => divRoundHalfEven(n, 10n))).toEqual([
      0n,
      1n,
      2n,
      2n,
      4n,
      4n,
      4n,
    ]);
    expect(divRoundHalfEven(-35n, 10n)).toBe(-4n);
    expect(divRoundHalfEven(-14n, 10n)).toBe(-1n);
  });

  it('divRoundHalfEven refuses a denominator that is not positive', () => {
    expect(() => divRoundHalfEven(1n, 0n)).toThrow('denominator must be positive');
    expect(() => divRoundHalfEven(1n, -10n)).toThrow('denominator must be positive');
  });

  it('decimalToPico is exact at 12 decimals and beyond them when the extra digits are zeros', () => {
    expect(decimalToPico({ units: 1n, scale: 12 })).toEqual({ pico: 1n, exact: true });
    expect(decimalToPico({ units: 10n, scale: 13 })).toEqual({ pico: 1n, exact: true });
    expect(decimalToPico({ units: 11n, scale: 13 })).toEqual({ pico: 1n, exact: false });
    expect(decimalToPico({ units: -3n, scale: 0 })).toEqual({ pico: -3_000_000_000_000n, exact: true });
  });

  it('picoToUsdNumber keeps the fraction', () => {
    expect(picoToUsdNumber(1_500_000_000_000n)).toBe(1.5);
    expect(picoToUsdNumber(2_250_000_000_000n)).toBe(2.25);
    expect(picoToUsdNumber(-2_250_000_000_000n)).toBe(-2.25);
  });

  it('formatPicoUsd prints zero and amounts below one cent', () => {
    expect(formatPicoUsd(0n)).toBe('0.000000000000');
    expect(formatPicoUsd(-5n)).toBe('-0.000000000005');
  });
});

describe('usdToPico', () => {
  it.each([
    [0, 0n],
    [0.007425, 7_425_000_000n],
    ['0.0116', 11_600_000_000n],
    [3.76, 3_760_000_000_000n],
    [999.999999999999, 999_999_999_999_999n],
    [1.5e-7, 150_000n], // exponent form: the exact path
    ['0.0000000000015', 2n], // 13 decimals: half to even
    [12345.5, 12_345_500_000_000_000n], // above the fast path's range
  ])('%p USD is exactly %p pico-USD', (usd, pico) => {
    expect(usdToPico(usd)).toBe(pico);
  });

  it('refuses what is not a decimal', () => {
    expect(() => usdToPico('1,5')).toThrow();
    expect(() => usdToPico('')).toThrow();
  });
});
