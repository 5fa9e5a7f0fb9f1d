/**
 * Exact money. Amounts are integer pico-USD (1e-12 USD) held in bigint; decimal strings are parsed and
 * printed without ever passing through a float. A float only appears when a value is handed to
 * Prometheus or a chart, for display.
 */

export const PICO_PER_USD = 1_000_000_000_000n;
const PICO_DIGITS = 12;

/** An exact decimal as a rational with a power-of-ten denominator: value = units / 10^scale. */
export interface Decimal {
  units: bigint;
  scale: number;
}

const DECIMAL_RE = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Parses a decimal string ("2.50", "1.875e-8", "-3") exactly. Numbers are accepted through their shortest
 * round-trip representation, which is the decimal the author wrote in JSON or YAML.
 */
export function parseDecimal(input: string | number): Decimal {
  const text = typeof input === 'number' ? numberToText(input) : input.trim();
  const m = DECIMAL_RE.exec(text);
  if (!m || (m[2] === '' && (m[3] === undefined || m[3] === ''))) {
    throw new Error(`not a decimal number: ${JSON.stringify(input)}`);
  }
  const [, sign, intPart, fracPart = '', expPart] = m;
  let digits = (intPart ?? '') + fracPart;
  let scale = fracPart.length - (expPart ? Number(expPart) : 0);
  if (scale < 0) {
    digits += '0'.repeat(-scale);
    scale = 0;
  }
  let units = BigInt(digits === '' ? '0' : digits);
  if (sign === '-') units = -units;
  return { units, scale };
}

function numberToText(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`not a finite number: ${n}`);
  return String(n);
}

/** Rounds units/10^shift to an integer, half to even (banker's rounding, no drift on sums). */
export function divRoundHalfEven(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new Error('denominator must be positive');
  const negative = numerator < 0n;
  const n = negative ? -numerator : numerator;
  let q = n / denominator;
  const r = n % denominator;
  const twice = r * 2n;
  if (twice > denominator || (twice === denominator && q % 2n === 1n)) q += 1n;
  return negative ? -q : q;
}

/** Converts a decimal amount of USD into integer pico-USD; `exact` tells whether rounding was needed. */
export function decimalToPico(d: Decimal): { pico: bigint; exact: boolean } {
  if (d.scale <= PICO_DIGITS) return { pico: d.units * 10n ** BigInt(PICO_DIGITS - d.scale), exact: true };
  const divisor = 10n ** BigInt(d.scale - PICO_DIGITS);
  return { pico: divRoundHalfEven(d.units, divisor), exact: d.units % divisor === 0n };
}

/**
 * A USD amount as a number or decimal text to pico-USD, exactly (half to even past 12 decimals). Plain decimals
 * below 1,000 USD with at most 12 decimals, as gateways log a request's cost, take a path without BigInt
 * arithmetic: the integer and fraction digits as one safe integer.
 */
export function usdToPico(input: number | string): bigint {
  const text = typeof input === 'number' ? numberToText(input) : input.trim();
  const dot = text.indexOf('.');
  const whole = dot < 0 ? text : text.slice(0, dot);
  const frac = dot < 0 ? '' : text.slice(dot + 1);
  const plain = whole.length + frac.length > 0 && PLAIN_DIGITS.test(whole) && PLAIN_DIGITS.test(frac);
  if (plain && whole.length <= 3 && frac.length <= PICO_DIGITS) {
    return BigInt(Number(whole) * 1e12 + Number(frac.padEnd(PICO_DIGITS, '0')));
  }
  return decimalToPico(parseDecimal(text)).pico;
}

const PLAIN_DIGITS = /^\d*$/;

/** Multiplies an integer amount by an exact decimal factor, rounding half to even. */
export function multiplyByDecimal(amount: bigint, factor: Decimal): bigint {
  return divRoundHalfEven(amount * factor.units, 10n ** BigInt(factor.scale));
}

/** Formats pico-USD as an exact decimal USD string with all 12 decimals ("12.345678901000"). */
export function formatPicoUsd(pico: bigint): string {
  const negative = pico < 0n;
  const abs = negative ? -pico : pico;
  const whole = abs / PICO_PER_USD;
  const frac = (abs % PICO_PER_USD).toString().padStart(PICO_DIGITS, '0');
  return `${negative ? '-' : ''}${whole}.${frac}`;
}

/** pico-USD as a float number of USD: for Prometheus samples and charts only, never for sums. */
export function picoToUsdNumber(pico: bigint): number {
  const whole = pico / PICO_PER_USD;
  const frac = pico % PICO_PER_USD;
  return Number(whole) + Number(frac) / 1e12;
}
