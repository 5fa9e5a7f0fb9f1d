import { createHash } from 'node:crypto';
import type { SearchContextSize } from '../types';
import { Decimal, parseDecimal } from '../money';
import {
  Bucket,
  emptyPriceBook,
  Fees,
  LongContextTier,
  PerThousand,
  picoPer,
  PriceBook,
  PriceBookError,
  RatePeriod,
  Rates,
  ratePerToken,
  ServiceTierPricing,
  TierPricing,
} from './priceBook';

/**
 * Our own price-book format (YAML or JSON), documented in docs/pricing.md:
 *   version: "2025-11"                 # optional; defaults to a hash of the content
 *   unit: per_million_tokens           # or per_token
 *   aliases: { chat-default: gpt-4o }  # deployment alias -> model
 *   models:
 *     gpt-4o:
 *       aliases: [gpt-4o-2024-08-06]
 *       prices:
 *         - effective_from: 2024-10-01
 *           input: 2.50
 *           cache_read: 1.25
 *           output: 10.00
 *           long_context: [{ above_input_tokens: 200000, input: 5.00, output: 15.00 }]
 *           service_tiers: { flex: { input: 1.25, output: 5.00 }, batch: { multiplier: 0.5 } }
 *           speed: { fast: 6 }
 *           inference_geo: { us: 1.1 }
 *           fees: { web_search: { per: query, per_1k: { low: 30, medium: 35, high: 50 } }, file_search: { per_1k: 2.5 } }
 *   tiers:
 *     premium: { multiplier: 1.25 }
 *     internal: { overrides: { gpt-4o: { input: 2.00, output: 8.00 } } }
 */

const RATE_KEYS: Record<string, Bucket> = {
  input: 'inputUncached',
  cache_read: 'cacheRead',
  cache_write: 'cacheWrite',
  cache_write_1h: 'cacheWrite1h',
  output: 'output',
  reasoning: 'reasoning',
  input_audio: 'inputAudio',
  input_image: 'inputImage',
  input_video: 'inputVideo',
  output_audio: 'outputAudio',
  output_image: 'outputImage',
};

/** Keys of a price entry besides its rates. */
const PERIOD_KEYS = ['effective_from', 'long_context', 'service_tiers', 'speed', 'inference_geo', 'fees'];

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

function readRates(
  v: unknown,
  perTokens: bigint,
  where: string,
  warnings: string[],
  otherKeys: readonly string[] = []
): Partial<Rates> {
  if (!isObject(v)) throw new PriceBookError(`${where}: expected a mapping of rates`);
  const rates: Partial<Rates> = {};
  for (const [key, value] of Object.entries(v)) {
    if (otherKeys.includes(key)) continue;
    const bucket = RATE_KEYS[key];
    if (!bucket)
      throw new PriceBookError(
        `${where}.${key}: unknown rate; expected one of ${[...Object.keys(RATE_KEYS), ...otherKeys].join(', ')}`
      );
    rates[bucket] = ratePerToken(value, perTokens, `${where}.${key}`, warnings);
  }
  return rates;
}

/** Input and output are required; every other bucket falls back as RATE_FALLBACK says, when priced. */
function completeRates(r: Partial<Rates>, where: string): Rates {
  if (r.inputUncached === undefined) throw new PriceBookError(`${where}: missing key "input"`);
  if (r.output === undefined) throw new PriceBookError(`${where}: missing key "output"`);
  return r as Rates;
}

function readMultiplier(v: unknown, where: string): Decimal {
  let d: Decimal;
  try {
    d = parseDecimal(v as string | number);
  } catch {
    throw new PriceBookError(`${where}: expected a decimal number, got ${JSON.stringify(v)}`);
  }
  if (d.units < 0n) throw new PriceBookError(`${where}: cannot be negative`);
  return d;
}

function readMultipliers(v: unknown, where: string): Map<string, Decimal> {
  if (!isObject(v)) throw new PriceBookError(`${where}: expected a mapping of name to multiplier`);
  return new Map(Object.entries(v).map(([k, m]) => [k.toLowerCase(), readMultiplier(m, `${where}.${k}`)]));
}

function readLongContext(v: unknown, perTokens: bigint, where: string, warnings: string[]): LongContextTier[] {
  if (!Array.isArray(v)) throw new PriceBookError(`${where}: expected a list of {above_input_tokens, input, ...}`);
  return v.map((t, i) => {
    const tw = `${where}[${i}]`;
    if (!isObject(t)) throw new PriceBookError(`${tw}: expected a mapping`);
    const above = t.above_input_tokens;
    if (typeof above !== 'number' || !Number.isSafeInteger(above) || above < 0)
      throw new PriceBookError(
        `${tw}.above_input_tokens: expected a whole number of tokens, got ${JSON.stringify(above)}`
      );
    return { aboveInputTokens: above, rates: readRates(t, perTokens, tw, warnings, ['above_input_tokens']) };
  });
}

function readServiceTiers(
  v: unknown,
  perTokens: bigint,
  where: string,
  warnings: string[]
): Map<string, ServiceTierPricing> {
  if (!isObject(v)) throw new PriceBookError(`${where}: expected a mapping of service tier to rates`);
  const out = new Map<string, ServiceTierPricing>();
  for (const [name, spec] of Object.entries(v)) {
    const sw = `${where}.${name}`;
    if (!isObject(spec)) throw new PriceBookError(`${sw}: expected rates, long_context and/or a multiplier`);
    const tier: ServiceTierPricing = {
      rates: readRates(spec, perTokens, sw, warnings, ['multiplier', 'long_context']),
    };
    if (spec.multiplier !== undefined) tier.multiplier = readMultiplier(spec.multiplier, `${sw}.multiplier`);
    if (spec.long_context !== undefined)
      tier.longContext = readLongContext(spec.long_context, perTokens, `${sw}.long_context`, warnings);
    out.set(name.toLowerCase(), tier);
  }
  return out;
}

const CONTEXT_SIZES: readonly SearchContextSize[] = ['low', 'medium', 'high'];

/** `{ per: query | prompt, per_1k: 10 }` or `per_1k: { low, medium, high }`: USD per 1,000 queries or prompts. */
function readPerThousand(v: unknown, where: string, warnings: string[]): PerThousand {
  if (!isObject(v)) throw new PriceBookError(`${where}: expected {per_1k: USD per 1,000, per: query | prompt}`);
  for (const key of Object.keys(v))
    if (key !== 'per_1k' && key !== 'per')
      throw new PriceBookError(`${where}.${key}: unknown key; expected per_1k, per`);
  const per = v.per ?? 'query';
  if (per !== 'query' && per !== 'prompt')
    throw new PriceBookError(`${where}.per: expected query or prompt, got ${JSON.stringify(per)}`);
  const price = (x: unknown, w: string) => picoPer(x, 1n, 'thousand', w, warnings);
  const p = v.per_1k;
  if (isObject(p)) {
    for (const key of Object.keys(p))
      if (!CONTEXT_SIZES.includes(key as SearchContextSize))
        throw new PriceBookError(`${where}.per_1k.${key}: unknown search context size; expected low, medium, high`);
    const medium = p.medium ?? p.low ?? p.high;
    const at = (size: SearchContextSize) => price(p[size] ?? medium, `${where}.per_1k.${size}`);
    return { per, byContext: { low: at('low'), medium: at('medium'), high: at('high') } };
  }
  const flat = price(p, `${where}.per_1k`);
  return { per, byContext: { low: flat, medium: flat, high: flat } };
}

function readFees(v: unknown, where: string, warnings: string[]): Fees {
  if (!isObject(v)) throw new PriceBookError(`${where}: expected a mapping of fees`);
  const fees: Fees = {};
  for (const [key, spec] of Object.entries(v)) {
    const fw = `${where}.${key}`;
    if (key === 'web_search') fees.webSearch = readPerThousand(spec, fw, warnings);
    else if (key === 'maps_grounding') fees.mapsGrounding = readPerThousand(spec, fw, warnings);
    else if (key === 'file_search') {
      if (!isObject(spec) || spec.per_1k === undefined)
        throw new PriceBookError(`${fw}: expected {per_1k: USD per 1,000 calls}`);
      fees.fileSearchPer1k = picoPer(spec.per_1k, 1n, 'thousand', `${fw}.per_1k`, warnings);
    } else if (key === 'code_interpreter') {
      if (!isObject(spec) || spec.per_session === undefined)
        throw new PriceBookError(`${fw}: expected {per_session: USD per session}`);
      fees.codeInterpreterPerSession = picoPer(spec.per_session, 1n, 'session', `${fw}.per_session`, warnings);
    } else
      throw new PriceBookError(
        `${fw}: unknown fee; expected web_search, maps_grounding, file_search, code_interpreter`
      );
  }
  return fees;
}

function readPeriod(p: unknown, perTokens: bigint, pw: string, warnings: string[]): RatePeriod {
  if (!isObject(p)) throw new PriceBookError(`${pw}: expected a mapping`);
  const period: RatePeriod = {
    effectiveFromMs: p.effective_from === undefined ? 0 : parseDate(p.effective_from, `${pw}.effective_from`),
    rates: completeRates(readRates(p, perTokens, pw, warnings, PERIOD_KEYS), pw),
  };
  if (p.long_context !== undefined)
    period.longContext = readLongContext(p.long_context, perTokens, `${pw}.long_context`, warnings);
  if (p.service_tiers !== undefined)
    period.serviceTiers = readServiceTiers(p.service_tiers, perTokens, `${pw}.service_tiers`, warnings);
  if (p.speed !== undefined) period.speed = readMultipliers(p.speed, `${pw}.speed`);
  if (p.inference_geo !== undefined) period.inferenceGeo = readMultipliers(p.inference_geo, `${pw}.inference_geo`);
  if (p.fees !== undefined) period.fees = readFees(p.fees, `${pw}.fees`, warnings);
  return period;
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
    const periods = spec.prices.map((p, i) => readPeriod(p, perTokens, `${where}.prices[${i}]`, book.warnings));
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
  if (doc.aliases !== undefined) {
    if (!isObject(doc.aliases)) throw new PriceBookError(`${file}: aliases: expected a mapping of alias to model name`);
    for (const [alias, model] of Object.entries(doc.aliases)) {
      if (typeof model !== 'string' || !book.models.has(model))
        throw new PriceBookError(
          `${file}: aliases.${alias}: expected the name of a model of this book, got ${JSON.stringify(model)}`
        );
      book.aliases.set(alias, model);
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
  if (spec.multiplier !== undefined) pricing.multiplier = readMultiplier(spec.multiplier, `${where}.multiplier`);
  if (spec.overrides !== undefined) {
    if (!isObject(spec.overrides))
      throw new PriceBookError(`${where}.overrides: expected a mapping of model name to rates`);
    for (const [model, rates] of Object.entries(spec.overrides))
      pricing.overrides.set(model, readRates(rates, perTokens, `${where}.overrides.${model}`, book.warnings));
  }
  return pricing;
}
