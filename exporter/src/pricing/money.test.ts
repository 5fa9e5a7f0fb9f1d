import {
  decimalToPico,
  divRoundHalfEven,
  formatPicoUsd,
  multiplyByDecimal,
  parseDecimal,
  picoToUsdNumber,
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
