import type { SearchContextSize, TokenBuckets } from '../types';
import { Decimal, decimalToPico, parseDecimal } from '../money';

/**
 * A versioned price book: per-model rates per token bucket, each with the date it takes effect, so a
 * request is priced by the rate in force at its start. Rates are integer pico-USD per token, converted once
 * at load. A period holds what the provider bills beyond its standard rates: long-context tiers, service tiers
 * (flex, priority, batch), multipliers for Anthropic's fast mode and for the region inference ran in, and
 * per-call fees. Tiers adjust what a tier is *charged* (chargeback); the provider *cost* is always list price.
 */

export type Bucket = keyof TokenBuckets;
export const BUCKETS: readonly Bucket[] = [
  'inputUncached',
  'cacheRead',
  'cacheWrite',
  'cacheWrite1h',
  'output',
  'reasoning',
  'inputAudio',
  'inputImage',
  'inputVideo',
  'outputAudio',
  'outputImage',
];

/**
 * pico-USD per token for each bucket the book states. Input and output are always stated; a bucket the book
 * does not state is priced at the rate it falls back to (`RATE_FALLBACK`), resolved once by the pricer.
 */
export type Rates = { inputUncached: bigint; output: bigint } & Partial<Record<Bucket, bigint>>;

/**
 * The bucket whose rate stands in for a bucket the book does not price: cache reads and writes at the input
 * rate (no discount or surcharge known), 1-hour writes at the 5-minute write rate, reasoning at the output rate
 * (OpenAI bills reasoning as output), media parts at the rate of the bucket they are part of.
 */
export const RATE_FALLBACK: Readonly<Record<Exclude<Bucket, 'inputUncached' | 'output'>, Bucket>> = {
  cacheRead: 'inputUncached',
  cacheWrite: 'inputUncached',
  cacheWrite1h: 'cacheWrite',
  reasoning: 'output',
  inputAudio: 'inputUncached',
  inputImage: 'inputUncached',
  inputVideo: 'inputUncached',
  outputAudio: 'output',
  outputImage: 'output',
};

/**
 * Rates for a request whose input (uncached + cache reads + cache writes) is ABOVE `aboveInputTokens` (strictly,
 * as Anthropic, Google and OpenAI bill): every token of the request, cache included, at these rates. A bucket
 * the tier does not state keeps the rate it has below the threshold (LiteLLM's rule).
 */
export interface LongContextTier {
  aboveInputTokens: number;
  rates: Partial<Rates>;
}

/**
 * A provider service tier (OpenAI `flex`, `priority`; `batch`): its own rates, replacing the standard ones bucket
 * by bucket (a bucket not stated keeps the standard rate, as LiteLLM falls back to the standard key), its own
 * long-context tiers (else the standard ones), and/or a multiplier of the whole token cost (batch: 0.5).
 */
export interface ServiceTierPricing {
  rates?: Partial<Rates>;
  longContext?: LongContextTier[];
  multiplier?: Decimal;
}

/** Per-call price by search context size, per query or per grounded prompt, in pico-USD per 1,000 units. */
export interface PerThousand {
  /** `query`: each search query is billed; `prompt`: a request with at least one query is billed once. */
  per: 'query' | 'prompt';
  byContext: Record<SearchContextSize, bigint>;
}

/** Per-call fees: pico-USD per 1,000 calls (or per session), exact at load. */
export interface Fees {
  webSearch?: PerThousand;
  mapsGrounding?: PerThousand;
  /** pico-USD per 1,000 file search calls. */
  fileSearchPer1k?: bigint;
  /** pico-USD per code interpreter session (container). */
  codeInterpreterPerSession?: bigint;
}

export interface RatePeriod {
  effectiveFromMs: number;
  /** Standard rates. */
  rates: Rates;
  longContext?: LongContextTier[];
  /** By service tier name, lower case. */
  serviceTiers?: Map<string, ServiceTierPricing>;
  /** Multiplier of the token cost by Anthropic `speed` (`fast`). */
  speed?: Map<string, Decimal>;
  /** Multiplier of the token cost by inference region (`us` for Anthropic's US-only inference, `eu`). */
  inferenceGeo?: Map<string, Decimal>;
  fees?: Fees;
}

export interface TierPricing {
  multiplier?: Decimal;
  /** Model name -> rates that replace list price for this tier (buckets not given keep list price). */
  overrides: Map<string, Partial<Rates>>;
}

export interface PriceBook {
  version: string;
  /** Canonical model name -> rate periods sorted by effectiveFromMs ascending. */
  models: Map<string, RatePeriod[]>;
  /** Alias (dated snapshot, provider-prefixed name, deployment alias) -> canonical model name. */
  aliases: Map<string, string>;
  tiers: Map<string, TierPricing>;
  /** Notes about the load (rounded rates, fallbacks, keys not understood), for the log. */
  warnings: string[];
}

export function emptyPriceBook(version = 'empty'): PriceBook {
  return { version, models: new Map(), aliases: new Map(), tiers: new Map(), warnings: [] };
}

/** Thrown for a price book that cannot be used; names the file and the key. */
export class PriceBookError extends Error {}

/** A USD-per-token amount to integer pico-USD per token; `where` names file and key for messages. */
export function ratePerToken(value: unknown, perTokens: bigint, where: string, warnings: string[]): bigint {
  return picoPer(value, perTokens, 'token', where, warnings);
}

/**
 * A USD amount per `per` units (tokens, calls) to integer pico-USD per unit, exactly, or rounded half to even
 * with a warning when finer than one pico-USD.
 */
export function picoPer(value: unknown, per: bigint, unit: string, where: string, warnings: string[]): bigint {
  if (typeof value !== 'number' && typeof value !== 'string') {
    throw new PriceBookError(`${where}: expected a price (number or decimal string), got ${JSON.stringify(value)}`);
  }
  let d: Decimal;
  try {
    d = parseDecimal(value);
  } catch {
    throw new PriceBookError(`${where}: ${JSON.stringify(value)} is not a decimal number`);
  }
  if (d.units < 0n) throw new PriceBookError(`${where}: a price cannot be negative (${value})`);
  // USD per `per` units -> USD per unit, exactly: divide by adding to the scale.
  const perScale = d.scale + (per === 1n ? 0 : per.toString().length - 1);
  const { pico, exact } = decimalToPico({ units: d.units, scale: perScale });
  if (!exact)
    warnings.push(
      `${where}: ${value} USD per ${per === 1n ? unit : `${per.toLocaleString('en')} ${unit}s`} is finer than one pico-USD (1e-12 USD) per ${unit}; rounded to ${pico} pico-USD per ${unit}`
    );
  return pico;
}

/** Merges a second book into a first: later books add models and periods and replace tiers. */
export function mergePriceBooks(books: PriceBook[]): PriceBook {
  if (books.length === 1) return books[0]!;
  const out = emptyPriceBook(books.map((b) => b.version).join('+'));
  for (const b of books) {
    for (const [model, periods] of b.models) {
      const merged = [
        ...(out.models.get(model) ?? []).filter((p) => !periods.some((q) => q.effectiveFromMs === p.effectiveFromMs)),
        ...periods,
      ];
      out.models.set(
        model,
        merged.sort((x, y) => x.effectiveFromMs - y.effectiveFromMs)
      );
    }
    for (const [alias, model] of b.aliases) out.aliases.set(alias, model);
    for (const [tier, pricing] of b.tiers) out.tiers.set(tier, pricing);
    out.warnings.push(...b.warnings);
  }
  return out;
}
