import { FieldError } from '../parse/fieldError';
import { PricingInputs, RECORD_BOUNDS, TokenBuckets } from '../types';
import { formatPicoUsd, multiplyByDecimal } from './money';
import { BUCKETS, PriceBook, RatePeriod, Rates } from './priceBook';

/** What a request costs. `costPusd` includes `feePusd`, the per-call fees. */
export interface Price {
  costPusd: bigint;
  feePusd: bigint;
  chargePusd: bigint;
  /** The book's model it was priced as. */
  pricedModel: string;
}

const DATE_SUFFIX = /-(\d{4}-\d{2}-\d{2}|\d{8})$/;

/**
 * Σ tokens × rate, exactly. Integer arithmetic in doubles is exact below 2^53 (9,007 USD in pico-USD), which
 * covers nearly every request and is far cheaper than BigInt; anything larger is redone in BigInt.
 */
function amount(tokens: TokenBuckets, rates: Rates): bigint {
  let total = 0;
  for (let i = 0; i < BUCKETS.length; i++) {
    const b = BUCKETS[i]!;
    const n = tokens[b];
    if (n !== 0) total += n * Number(rates[b]);
  }
  if (Number.isSafeInteger(total)) return BigInt(total);
  let exact = 0n;
  for (const b of BUCKETS) exact += BigInt(tokens[b]) * rates[b];
  return exact;
}

/** Prices usage records against a price book. Model-name resolution is cached per provider and name. */
export class Pricer {
  /** Resolved names by provider ('' for none), then by the log's model name. */
  private readonly resolved = new Map<string, Map<string, string | null>>();

  constructor(readonly book: PriceBook) {}

  /**
   * The canonical model a log's model name is priced as: the name under the provider the log names
   * ("hosted_vllm/llama-3.1-70b-instruct", as LiteLLM's price map keys some models), the exact name, an alias,
   * the name without a provider prefix ("openai/gpt-4o"), or without a snapshot date ("gpt-4o-2024-08-06").
   * Null: no price.
   */
  resolveModel(name: string, provider?: string): string | null {
    let cache = this.resolved.get(provider ?? '');
    if (!cache) this.resolved.set(provider ?? '', (cache = new Map<string, string | null>()));
    let hit = cache.get(name);
    if (hit !== undefined) return hit;
    hit = null;
    const qualified = provider && !name.includes('/') ? `${provider}/${name}` : undefined;
    const slash = name.lastIndexOf('/');
    const candidates = [qualified, name, slash >= 0 ? name.slice(slash + 1) : undefined];
    for (const c of [...candidates]) if (c && DATE_SUFFIX.test(c)) candidates.push(c.replace(DATE_SUFFIX, ''));
    for (const c of candidates) {
      if (!c) continue;
      if (this.book.models.has(c)) {
        hit = c;
        break;
      }
      const alias = this.book.aliases.get(c);
      if (alias !== undefined && this.book.models.has(alias)) {
        hit = alias;
        break;
      }
    }
    cache.set(name, hit);
    return hit;
  }

  private periodAt(model: string, atMs: number): RatePeriod | undefined {
    const periods = this.book.models.get(model)!;
    let found: RatePeriod | undefined;
    for (const p of periods) {
      if (p.effectiveFromMs <= atMs) found = p;
      else break;
    }
    return found;
  }

  /**
   * Undefined when the model has no price in force at `startMs`: the record is kept unpriced. Throws a FieldError
   * (field `cost` or `charge`) when an amount does not fit the ledger's BIGINT column: that request is refused.
   */
  price(r: PricingInputs): Price | undefined {
    const { model, provider, tier, startMs, tokens } = r;
    const canonical = this.resolveModel(model, provider);
    if (canonical === null) return undefined;
    const period = this.periodAt(canonical, startMs);
    if (!period) return undefined;
    const costPusd = fitsLedger(amount(tokens, period.rates), 'cost', canonical);
    const tierPricing = tier !== undefined ? this.book.tiers.get(tier) : undefined;
    if (!tierPricing) return { costPusd, feePusd: 0n, chargePusd: costPusd, pricedModel: canonical };
    const override = tierPricing.overrides.get(canonical);
    let chargePusd = override ? amount(tokens, { ...period.rates, ...override }) : costPusd;
    if (tierPricing.multiplier) chargePusd = multiplyByDecimal(chargePusd, tierPricing.multiplier);
    return { costPusd, feePusd: 0n, chargePusd: fitsLedger(chargePusd, 'charge', canonical), pricedModel: canonical };
  }
}

function fitsLedger(pusd: bigint, field: 'cost' | 'charge', model: string): bigint {
  if (pusd > RECORD_BOUNDS.maxPusd) {
    throw new FieldError(
      'invalid_field',
      field,
      `${field}: ${formatPicoUsd(pusd)} USD for one request of ${model} is more than the ${formatPicoUsd(RECORD_BOUNDS.maxPusd)} USD the ledger holds per request`
    );
  }
  return pusd;
}
