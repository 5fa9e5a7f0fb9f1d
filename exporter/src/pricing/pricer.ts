import { FieldError } from '../parse/fieldError';
import { PricingInputs, RECORD_BOUNDS, SearchContextSize, TokenBuckets, ToolCalls } from '../types';
import { Decimal, divRoundHalfEven, formatPicoUsd, multiplyByDecimal } from '../money';
import {
  Bucket,
  BUCKETS,
  Fees,
  LongContextTier,
  PerThousand,
  PriceBook,
  RATE_FALLBACK,
  RatePeriod,
  Rates,
} from './priceBook';

/** What a request costs. `costPusd` includes `feePusd`, the per-call fees. */
export interface Price {
  costPusd: bigint;
  feePusd: bigint;
  chargePusd: bigint;
  /** The book's model it was priced as. */
  pricedModel: string;
}

const DATE_SUFFIX = /-(\d{4}-\d{2}-\d{2}|\d{8})$/;

/** Every bucket's rate, fallbacks resolved. */
type FullRates = Record<Bucket, bigint>;

/** One set of rates a request can be billed at: below every threshold, and above each (highest first). */
interface RateSet {
  base: FullRates;
  longContext: { above: number; rates: FullRates }[];
  /** The service tier's multiplier of the token cost (batch), if any. */
  multiplier: Decimal | undefined;
}

/** A period with its rate sets resolved, built once per period when first used. */
interface ResolvedPeriod {
  period: RatePeriod;
  standard: RateSet;
  serviceTiers: Map<string, RateSet>;
}

/** Service tiers logs write for the standard tier (OpenAI `default`/`auto`, Anthropic `standard`, Vertex `on_demand`). */
const STANDARD_TIERS = new Set(['standard', 'default', 'auto', 'on_demand', '']);

/**
 * Rates with every bucket the book left out filled by the bucket it falls back to. Fallbacks run in BUCKETS order,
 * so a fallback's own fallback is resolved first (cacheWrite1h -> cacheWrite -> input).
 */
function fillRates(r: Rates): FullRates {
  const full = { ...r } as FullRates;
  for (const b of BUCKETS) {
    if (full[b] === undefined) full[b] = full[RATE_FALLBACK[b as keyof typeof RATE_FALLBACK]];
  }
  return full;
}

/** A rate set from the rates a book states, its long-context tiers on top of them. */
function rateSet(stated: Rates, longContext: readonly LongContextTier[], multiplier?: Decimal): RateSet {
  return {
    base: fillRates(stated),
    longContext: [...longContext]
      .sort((a, b) => b.aboveInputTokens - a.aboveInputTokens)
      .map((t) => ({ above: t.aboveInputTokens, rates: fillRates({ ...stated, ...t.rates } as Rates) })),
    multiplier,
  };
}

function resolvePeriod(period: RatePeriod): ResolvedPeriod {
  const standardLong = period.longContext ?? [];
  const serviceTiers = new Map<string, RateSet>();
  for (const [name, st] of period.serviceTiers ?? []) {
    const stated = { ...period.rates, ...st.rates } as Rates;
    // A tier that prices output but not reasoning bills reasoning at its output rate, not at the standard
    // reasoning rate (LiteLLM's _resolve_reasoning_token_cost; OpenAI's flex and priority halve and double
    // every token type).
    if (st.rates?.output !== undefined && st.rates.reasoning === undefined) delete stated.reasoning;
    serviceTiers.set(name, rateSet(stated, st.longContext ?? standardLong, st.multiplier));
  }
  return { period, standard: rateSet(period.rates, standardLong), serviceTiers };
}

/**
 * Σ tokens × rate, exactly. Parts (audio, image, video, reasoning) are priced at their own rates and the rest of
 * their bucket at the bucket's. Integer arithmetic in doubles is exact below 2^53 (9,007 USD in pico-USD), which
 * covers nearly every request and is far cheaper than BigInt; anything larger is redone in BigInt.
 */
function amount(t: TokenBuckets, r: FullRates): bigint {
  const textIn = t.inputUncached - t.inputAudio - t.inputImage - t.inputVideo;
  const textOut = t.output - t.reasoning - t.outputAudio - t.outputImage;
  let total =
    textIn * Number(r.inputUncached) +
    t.cacheRead * Number(r.cacheRead) +
    t.cacheWrite * Number(r.cacheWrite) +
    textOut * Number(r.output);
  if (t.cacheWrite1h !== 0) total += t.cacheWrite1h * Number(r.cacheWrite1h);
  if (t.reasoning !== 0) total += t.reasoning * Number(r.reasoning);
  if (t.inputAudio !== 0) total += t.inputAudio * Number(r.inputAudio);
  if (t.inputImage !== 0) total += t.inputImage * Number(r.inputImage);
  if (t.inputVideo !== 0) total += t.inputVideo * Number(r.inputVideo);
  if (t.outputAudio !== 0) total += t.outputAudio * Number(r.outputAudio);
  if (t.outputImage !== 0) total += t.outputImage * Number(r.outputImage);
  if (Number.isSafeInteger(total)) return BigInt(total);
  const big = (n: number, rate: bigint) => BigInt(n) * rate;
  return (
    big(textIn, r.inputUncached) +
    big(t.cacheRead, r.cacheRead) +
    big(t.cacheWrite, r.cacheWrite) +
    big(t.cacheWrite1h, r.cacheWrite1h) +
    big(textOut, r.output) +
    big(t.reasoning, r.reasoning) +
    big(t.inputAudio, r.inputAudio) +
    big(t.inputImage, r.inputImage) +
    big(t.inputVideo, r.inputVideo) +
    big(t.outputAudio, r.outputAudio) +
    big(t.outputImage, r.outputImage)
  );
}

/** Every input token of the request: what long-context thresholds are compared with. */
const inputTokens = (t: TokenBuckets): number => t.inputUncached + t.cacheRead + t.cacheWrite + t.cacheWrite1h;

/** The rates a request is billed at within a rate set: the highest long-context tier its input is above. */
function ratesFor(set: RateSet, t: TokenBuckets): FullRates {
  if (set.longContext.length === 0) return set.base;
  const input = inputTokens(t);
  for (const tier of set.longContext) if (input > tier.above) return tier.rates;
  return set.base;
}

/** Product of exact decimal factors, or undefined for none. */
function times(a: Decimal | undefined, b: Decimal | undefined): Decimal | undefined {
  if (!a) return b;
  if (!b) return a;
  return { units: a.units * b.units, scale: a.scale + b.scale };
}

const DEFAULT_CONTEXT: SearchContextSize = 'medium';

/**
 * A per-thousand fee for `count` units: count × (pico-USD per 1,000) / 1,000, rounded half to even once per
 * request (pico-USD are far finer than any published fee, so in practice nothing is rounded).
 */
function perThousand(fee: PerThousand | undefined, count: number, context: SearchContextSize | undefined): bigint {
  if (!fee || count === 0) return 0n;
  const units = fee.per === 'prompt' ? 1n : BigInt(count);
  return divRoundHalfEven(units * fee.byContext[context ?? DEFAULT_CONTEXT], 1000n);
}

/** The per-call fees of a request. Not scaled by service tier, speed or region: those multiply token prices. */
function fees(f: Fees | undefined, calls: ToolCalls): bigint {
  if (!f) return 0n;
  let fee = perThousand(f.webSearch, calls.webSearchQueries, calls.webSearchContext);
  fee += perThousand(f.mapsGrounding, calls.mapsGroundingQueries, undefined);
  if (f.fileSearchPer1k !== undefined && calls.fileSearchCalls !== 0)
    fee += divRoundHalfEven(BigInt(calls.fileSearchCalls) * f.fileSearchPer1k, 1000n);
  if (f.codeInterpreterPerSession !== undefined && calls.codeInterpreterSessions !== 0)
    fee += BigInt(calls.codeInterpreterSessions) * f.codeInterpreterPerSession;
  return fee;
}

/** Prices usage records against a price book. Model-name resolution is cached per provider and name. */
export class Pricer {
  /** Resolved names by provider ('' for none), then by the log's model name. */
  private readonly resolved = new Map<string, Map<string, string | null>>();
  private readonly periods = new WeakMap<RatePeriod, ResolvedPeriod>();

  constructor(readonly book: PriceBook) {}

  /**
   * The canonical model a log's model name is priced as: the name under the provider the log names
   * ("hosted_vllm/llama-3.1-70b-instruct", "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", as LiteLLM's
   * price map keys some models), the exact name, an alias,
   * the name after its provider prefix ("openai/gpt-4o") or after its last `/` (a Bedrock ARN
   * "arn:aws:bedrock:...:inference-profile/us.anthropic.claude-...", Together's "meta-llama/Llama-3-70b"),
   * or without a snapshot date ("gpt-4o-2024-08-06"). Null: no price.
   */
  resolveModel(name: string, provider?: string): string | null {
    let cache = this.resolved.get(provider ?? '');
    if (!cache) this.resolved.set(provider ?? '', (cache = new Map<string, string | null>()));
    let hit = cache.get(name);
    if (hit !== undefined) return hit;
    hit = null;
    const qualified = provider && !name.startsWith(`${provider}/`) ? `${provider}/${name}` : undefined;
    const firstSlash = name.indexOf('/');
    const lastSlash = name.lastIndexOf('/');
    const candidates = [
      qualified,
      name,
      firstSlash >= 0 ? name.slice(firstSlash + 1) : undefined,
      lastSlash > firstSlash ? name.slice(lastSlash + 1) : undefined,
    ];
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

  private periodAt(model: string, atMs: number): ResolvedPeriod | undefined {
    const periods = this.book.models.get(model)!;
    let found: RatePeriod | undefined;
    for (const p of periods) {
      if (p.effectiveFromMs <= atMs) found = p;
      else break;
    }
    if (!found) return undefined;
    let resolved = this.periods.get(found);
    if (!resolved) this.periods.set(found, (resolved = resolvePeriod(found)));
    return resolved;
  }

  /**
   * The model billed: the gateway's base model for a deployment alias when the book knows it, else the model the
   * log names (the served one where the log says).
   */
  billedModel(r: Pick<PricingInputs, 'model' | 'baseModel' | 'provider'>): string | null {
    const base = r.baseModel !== undefined ? this.resolveModel(r.baseModel, r.provider) : null;
    return base ?? this.resolveModel(r.model, r.provider);
  }

  /**
   * Undefined when the request reported no usage, or its model has no price in force at its start: the record is
   * kept unpriced. A gateway cache hit costs nothing. Throws a FieldError (field `cost` or `charge`) when an
   * amount does not fit the ledger's BIGINT column: that request is refused.
   */
  price(r: PricingInputs): Price | undefined {
    const canonical = this.billedModel(r);
    if (r.gatewayCacheHit) return { costPusd: 0n, feePusd: 0n, chargePusd: 0n, pricedModel: canonical ?? r.model };
    if (canonical === null || !r.usageReported) return undefined;
    const resolved = this.periodAt(canonical, r.startMs);
    if (!resolved) return undefined;
    const { period } = resolved;
    const serviceTier = r.serviceTier !== undefined ? r.serviceTier.toLowerCase() : undefined;
    const set =
      serviceTier !== undefined && !STANDARD_TIERS.has(serviceTier)
        ? (resolved.serviceTiers.get(serviceTier) ?? resolved.standard)
        : resolved.standard;
    let factor = set.multiplier;
    if (r.speed !== undefined && period.speed) factor = times(factor, period.speed.get(r.speed.toLowerCase()));
    if (r.inferenceGeo !== undefined && period.inferenceGeo)
      factor = times(factor, period.inferenceGeo.get(r.inferenceGeo.toLowerCase()));
    const rates = ratesFor(set, r.tokens);
    const feePusd = fees(period.fees, r.toolCalls);
    const tokenCost = (over?: Partial<Rates>): bigint => {
      const raw = amount(r.tokens, over ? fillOverride(rates, over) : rates);
      return factor ? multiplyByDecimal(raw, factor) : raw;
    };
    const costPusd = fitsLedger(tokenCost() + feePusd, 'cost', canonical);
    const tierPricing = r.tier !== undefined ? this.book.tiers.get(r.tier) : undefined;
    if (!tierPricing) return { costPusd, feePusd, chargePusd: costPusd, pricedModel: canonical };
    const override = tierPricing.overrides.get(canonical);
    let chargePusd = override ? tokenCost(override) + feePusd : costPusd;
    if (tierPricing.multiplier) chargePusd = multiplyByDecimal(chargePusd, tierPricing.multiplier);
    return { costPusd, feePusd, chargePusd: fitsLedger(chargePusd, 'charge', canonical), pricedModel: canonical };
  }
}

/** A tier's override table on top of the rates a request is billed at: only the buckets it states change. */
function fillOverride(rates: FullRates, over: Partial<Rates>): FullRates {
  const out = { ...rates };
  for (const b of BUCKETS) {
    const v = over[b];
    if (v !== undefined) out[b] = v;
  }
  return out;
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
