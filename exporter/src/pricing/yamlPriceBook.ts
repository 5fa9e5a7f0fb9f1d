import { createHash } from 'node:crypto';
import { Bucket, emptyPriceBook, PriceBook, PriceBookError, Rates, ratePerToken, TierPricing } from './priceBook';
import { parseDecimal } from './money';

/**
 * Our own price-book format (YAML or JSON), documented in docs/pricing.md:
 *   version: "2025-11"                 # optional; defaults to a hash of the content
 *   unit: per_million_tokens           # or per_token
 *   models:
 *     gpt-4o:
 *       aliases: [gpt-4o-2024-08-06]
 *       prices:
 *         - { effective_from: 2024-10-01, input: 2.50, cache_read: 1.25, output: 10.00 }
 *   tiers:
 *     premium: { multiplier: 1.25 }
 *     internal: { overrides: { gpt-4o: { input: 2.00, output: 8.00 } } }
 */

const RATE_KEYS: Record<string, Bucket> = {
  input: 'inputUncached',
  cache_read: 'cacheRead',
  cache_write: 'cacheWrite',
  output: 'output',
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseDate(v: unknown, where: string): number {
  const text = v instanceof Date ? v.toISOString() : typeof v === 'string' ? v : undefined;
  const ms = text === undefined ? NaN : Date.parse(/T|Z|[+-]\d\d:\d\d$/.test(text) ? text : `${text}T00:00:00Z`);
  if (!Number.isFinite(ms))
    throw new PriceBookError(`${where}: expected a date like 2025-01-31, got ${JSON.stringify(v)}`);
  return ms;
}

function readRates(v: unknown, perTokens: bigint, where: string, warnings: string[]): Partial<Rates> {
  if (!isObject(v)) throw new PriceBookError(`${where}: expected a mapping of rates`);
  const rates: Partial<Rates> = {};
  for (const [key, value] of Object.entries(v)) {
    if (key === 'effective_from') continue;
    const bucket = RATE_KEYS[key];
    if (!bucket)
      throw new PriceBookError(`${where}.${key}: unknown rate; expected one of ${Object.keys(RATE_KEYS).join(', ')}`);
    rates[bucket] = ratePerToken(value, perTokens, `${where}.${key}`, warnings);
  }
  return rates;
}

/** Missing cache rates fall back to the input rate; input and output are required. */
function completeRates(r: Partial<Rates>, where: string): Rates {
  if (r.inputUncached === undefined) throw new PriceBookError(`${where}: missing key "input"`);
  if (r.output === undefined) throw new PriceBookError(`${where}: missing key "output"`);
  return {
    inputUncached: r.inputUncached,
    output: r.output,
    cacheRead: r.cacheRead ?? r.inputUncached,
    cacheWrite: r.cacheWrite ?? r.inputUncached,
  };
}

export function parseYamlPriceBook(doc: unknown, file: string, content: string): PriceBook {
  if (!isObject(doc)) throw new PriceBookError(`${file}: expected a mapping with a "models" key`);
  if (doc.version !== undefined && typeof doc.version !== 'string' && typeof doc.version !== 'number') {
    throw new PriceBookError(`${file}: version: expected a text or a number, got ${JSON.stringify(doc.version)}`);
  }
  const version =
    doc.version !== undefined ? String(doc.version) : createHash('sha256').update(content).digest('hex').slice(0, 12);
  const book = emptyPriceBook(version);
  const unit = doc.unit ?? 'per_million_tokens';
  if (unit !== 'per_million_tokens' && unit !== 'per_token') {
    throw new PriceBookError(`${file}: unit: expected per_million_tokens or per_token, got ${JSON.stringify(unit)}`);
  }
  const perTokens = unit === 'per_token' ? 1n : 1_000_000n;
  if (!isObject(doc.models)) throw new PriceBookError(`${file}: models: expected a mapping of model name to prices`);
  for (const [model, spec] of Object.entries(doc.models)) {
    const where = `${file}: models.${model}`;
    if (!isObject(spec) || !Array.isArray(spec.prices) || spec.prices.length === 0) {
      throw new PriceBookError(`${where}.prices: expected a non-empty list of {effective_from, input, output, ...}`);
    }
    const periods = spec.prices.map((p, i) => {
      const pw = `${where}.prices[${i}]`;
      if (!isObject(p)) throw new PriceBookError(`${pw}: expected a mapping`);
      return {
        effectiveFromMs: p.effective_from === undefined ? 0 : parseDate(p.effective_from, `${pw}.effective_from`),
        rates: completeRates(readRates(p, perTokens, pw, book.warnings), pw),
      };
    });
    periods.sort((a, b) => a.effectiveFromMs - b.effectiveFromMs);
    for (let i = 1; i < periods.length; i++) {
      if (periods[i]!.effectiveFromMs === periods[i - 1]!.effectiveFromMs)
        throw new PriceBookError(`${where}.prices: two entries take effect at the same time`);
    }
    book.models.set(model, periods);
    if (spec.aliases !== undefined) {
      if (!Array.isArray(spec.aliases)) throw new PriceBookError(`${where}.aliases: expected a list of names`);
      for (const alias of spec.aliases) book.aliases.set(String(alias), model);
    }
  }
  if (doc.tiers !== undefined) {
    if (!isObject(doc.tiers)) throw new PriceBookError(`${file}: tiers: expected a mapping of tier name to pricing`);
    for (const [tier, spec] of Object.entries(doc.tiers))
      book.tiers.set(tier, readTier(spec, perTokens, `${file}: tiers.${tier}`, book));
  }
  return book;
}

function readTier(spec: unknown, perTokens: bigint, where: string, book: PriceBook): TierPricing {
  if (!isObject(spec)) throw new PriceBookError(`${where}: expected {multiplier} or {overrides}`);
  const pricing: TierPricing = { overrides: new Map() };
  for (const key of Object.keys(spec)) {
    if (key !== 'multiplier' && key !== 'overrides')
      throw new PriceBookError(`${where}.${key}: unknown key; expected multiplier or overrides`);
  }
  if (spec.multiplier !== undefined) {
    try {
      pricing.multiplier = parseDecimal(spec.multiplier as string | number);
    } catch {
      throw new PriceBookError(
        `${where}.multiplier: expected a decimal number, got ${JSON.stringify(spec.multiplier)}`
      );
    }
    if (pricing.multiplier.units < 0n) throw new PriceBookError(`${where}.multiplier: cannot be negative`);
  }
  if (spec.overrides !== undefined) {
    if (!isObject(spec.overrides))
      throw new PriceBookError(`${where}.overrides: expected a mapping of model name to rates`);
    for (const [model, rates] of Object.entries(spec.overrides))
      pricing.overrides.set(model, readRates(rates, perTokens, `${where}.overrides.${model}`, book.warnings));
  }
  return pricing;
}
