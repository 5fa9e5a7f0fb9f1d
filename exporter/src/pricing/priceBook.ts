import type { TokenBuckets } from '../types';
import { Decimal, decimalToPico, parseDecimal } from './money';

/**
 * A versioned price book: per-model rates per token bucket, each with the date it takes effect, so a
 * request is priced by the rate in force at its start. Rates are integer pico-USD per token, converted once
 * at load. Tiers adjust what a tier is *charged* (chargeback); the provider *cost* is always list price.
 */

export type Bucket = keyof Pick<TokenBuckets, 'inputUncached' | 'cacheRead' | 'cacheWrite' | 'output'>;
export const BUCKETS: readonly Bucket[] = ['inputUncached', 'cacheRead', 'cacheWrite', 'output'];

/** pico-USD per token for each bucket. Cache rates fall back to the input rate when the book has none. */
export type Rates = Record<Bucket, bigint>;

export interface RatePeriod {
  effectiveFromMs: number;
  rates: Rates;
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
  /** Alias (dated snapshot, provider-prefixed name) -> canonical model name. */
  aliases: Map<string, string>;
  tiers: Map<string, TierPricing>;
  /** Notes about the load (rounded rates, fallbacks), for the log. */
  warnings: string[];
}

export function emptyPriceBook(version = 'empty'): PriceBook {
  return { version, models: new Map(), aliases: new Map(), tiers: new Map(), warnings: [] };
}

/** Thrown for a price book that cannot be used; names the file and the key. */
export class PriceBookError extends Error {}

/** A USD-per-token amount to integer pico-USD per token; `where` names file and key for messages. */
export function ratePerToken(value: unknown, perTokens: bigint, where: string, warnings: string[]): bigint {
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
  // USD per `perTokens` tokens -> USD per token, exactly: divide by adding to the scale.
  const perTokenScale = d.scale + (perTokens === 1n ? 0 : perTokens.toString().length - 1);
  const { pico, exact } = decimalToPico({ units: d.units, scale: perTokenScale });
  if (!exact)
    warnings.push(
      `${where}: ${value} USD per ${perTokens === 1n ? 'token' : `${perTokens.toLocaleString('en')} tokens`} is finer than one pico-USD (1e-12 USD) per token; rounded to ${pico} pico-USD per token`
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
