import { createHash } from 'node:crypto';
import type { SearchContextSize } from '../types';
import { Decimal, parseDecimal } from '../money';
import {
  Bucket,
  emptyPriceBook,
  Fees,
  LongContextTier,
  picoPer,
  PriceBook,
  PriceBookError,
  RatePeriod,
  Rates,
  ratePerToken,
  ServiceTierPricing,
} from './priceBook';

/**
 * Import of LiteLLM's model_prices_and_context_window.json: an object keyed by model name whose entries carry
 * USD-per-token floats, read as LiteLLM's cost code reads them (litellm/litellm_core_utils/llm_cost_calc/utils.py,
 * generic_cost_per_token and _get_token_base_cost):
 * - token rates (RATE_KEYS), each also with a service-tier suffix (`_flex`, `_priority`, `_batches`) and with a
 *   threshold (`_above_200k_tokens`, `_above_128000_tokens`), the threshold before the tier suffix
 *   (`input_cost_per_token_above_200k_tokens_priority`);
 * - `provider_specific_entry`: multipliers of the token cost, `fast` for Anthropic's fast mode and the others by
 *   inference geo (`us`); `regional_processing_uplift_multiplier_<region>` likewise by region;
 * - fees: `search_context_cost_per_query` (USD per query, flat or by `search_context_size_*`),
 *   `file_search_cost_per_1k_calls`, `code_interpreter_cost_per_session`.
 * It has no effective dates: every price is in force from `effectiveFromMs` (the epoch unless the config says
 * otherwise). Entries without token prices (images, audio) are skipped. A key that is neither a price read here
 * nor a known description key (NON_PRICE_KEYS) is warned about once per key, naming how many entries carry it.
 */

const RATE_KEYS: Record<string, Bucket> = {
  input_cost_per_token: 'inputUncached',
  output_cost_per_token: 'output',
  cache_read_input_token_cost: 'cacheRead',
  cache_creation_input_token_cost: 'cacheWrite',
  cache_creation_input_token_cost_above_1hr: 'cacheWrite1h',
  output_cost_per_reasoning_token: 'reasoning',
  input_cost_per_audio_token: 'inputAudio',
  input_cost_per_image_token: 'inputImage',
  input_cost_per_video_token: 'inputVideo',
  output_cost_per_audio_token: 'outputAudio',
  output_cost_per_image_token: 'outputImage',
};

/** LiteLLM's service-tier suffixes and the service tier a log names. */
const TIER_SUFFIXES: Record<string, string> = { flex: 'flex', priority: 'priority', batches: 'batch' };

/** `<rate key>[_above_<n>[k]_tokens][_<tier>]`. */
const RATE_KEY_RE = new RegExp(
  `^(${Object.keys(RATE_KEYS)
    .sort((a, b) => b.length - a.length)
    .join('|')})(?:_above_(\\d+)(k?)_tokens)?(?:_(${Object.keys(TIER_SUFFIXES).join('|')}))?$`
);

/** Keys that describe a model rather than price it. */
const NON_PRICE_KEYS = new Set([
  'litellm_provider',
  'mode',
  'max_tokens',
  'max_input_tokens',
  'max_output_tokens',
  'source',
  'deprecation_date',
  'metadata',
  'comment',
  'tool_use_system_prompt_tokens',
  'output_vector_size',
  'supported_endpoints',
  'supported_modalities',
  'supported_output_modalities',
  'supported_regions',
  'supported_resolutions',
]);

const REGIONAL_UPLIFT = 'regional_processing_uplift_multiplier_';
const CONTEXT_KEYS: Record<string, SearchContextSize> = {
  search_context_size_low: 'low',
  search_context_size_medium: 'medium',
  search_context_size_high: 'high',
};

interface Draft {
  rates: Partial<Rates>;
  long: Map<number, Partial<Rates>>;
  tiers: Map<string, { rates: Partial<Rates>; long: Map<number, Partial<Rates>> }>;
}

function multiplier(v: unknown, where: string): Decimal {
  try {
    const d = parseDecimal(v as string | number);
    if (d.units >= 0n) return d;
  } catch {
    // reported below
  }
  throw new PriceBookError(`${where}: expected a non-negative multiplier, got ${JSON.stringify(v)}`);
}

function longTiers(long: Map<number, Partial<Rates>>): LongContextTier[] {
  return [...long].map(([aboveInputTokens, rates]) => ({ aboveInputTokens, rates }));
}

export function parseLitellmPriceBook(
  doc: Record<string, unknown>,
  file: string,
  content: string,
  effectiveFromMs = 0
): PriceBook {
  const book = emptyPriceBook(`litellm-${createHash('sha256').update(content).digest('hex').slice(0, 12)}`);
  /** Keys not understood -> entries carrying them, the first of them named. */
  const unknown = new Map<string, { count: number; first: string }>();
  for (const [model, entry] of Object.entries(doc)) {
    if (model === 'sample_spec' || typeof entry !== 'object' || entry === null) continue;
    const e = entry as Record<string, unknown>;
    if (e.input_cost_per_token === undefined || e.output_cost_per_token === undefined) continue;
    const where = `${file}: ${model}`;
    const draft: Draft = { rates: {}, long: new Map(), tiers: new Map() };
    const period: RatePeriod = { effectiveFromMs, rates: { inputUncached: 0n, output: 0n } };
    const fees: Fees = {};
    for (const [key, value] of Object.entries(e)) {
      if (value === null || NON_PRICE_KEYS.has(key) || key.startsWith('supports_')) continue;
      const m = RATE_KEY_RE.exec(key);
      if (m) {
        const bucket = RATE_KEYS[m[1]!]!;
        const rate = ratePerToken(value, 1n, `${where}.${key}`, book.warnings);
        const tierName = m[4] !== undefined ? TIER_SUFFIXES[m[4]]! : undefined;
        let target: { rates: Partial<Rates>; long: Map<number, Partial<Rates>> } = draft;
        if (tierName !== undefined) {
          if (!draft.tiers.has(tierName)) draft.tiers.set(tierName, { rates: {}, long: new Map() });
          target = draft.tiers.get(tierName)!;
        }
        if (m[2] === undefined) target.rates[bucket] = rate;
        else {
          const above = Number(m[2]) * (m[3] === 'k' ? 1000 : 1);
          if (!target.long.has(above)) target.long.set(above, {});
          target.long.get(above)![bucket] = rate;
        }
      } else if (key === 'provider_specific_entry' && typeof value === 'object' && !Array.isArray(value)) {
        for (const [name, factor] of Object.entries(value as Record<string, unknown>)) {
          const k = name.toLowerCase();
          const which = k === 'fast' ? (period.speed ??= new Map()) : (period.inferenceGeo ??= new Map());
          which.set(k, multiplier(factor, `${where}.${key}.${name}`));
        }
      } else if (key.startsWith(REGIONAL_UPLIFT)) {
        (period.inferenceGeo ??= new Map()).set(
          key.slice(REGIONAL_UPLIFT.length).toLowerCase(),
          multiplier(value, `${where}.${key}`)
        );
      } else if (key === 'search_context_cost_per_query') {
        // USD per query; kept as pico-USD per 1,000 queries like every per-call fee.
        const perK = (v: unknown, w: string) => picoPer(v, 1n, 'query', w, book.warnings) * 1000n;
        if (typeof value === 'object' && !Array.isArray(value)) {
          const sizes = value as Record<string, unknown>;
          const by: Partial<Record<SearchContextSize, bigint>> = {};
          for (const [k, v] of Object.entries(sizes)) {
            const size = CONTEXT_KEYS[k];
            if (size) by[size] = perK(v, `${where}.${key}.${k}`);
            else noteUnknown(unknown, `${key}.${k}`, model);
          }
          const fallback = by.medium ?? by.low ?? by.high;
          if (fallback !== undefined)
            fees.webSearch = {
              per: 'query',
              byContext: { low: by.low ?? fallback, medium: by.medium ?? fallback, high: by.high ?? fallback },
            };
        } else {
          const flat = perK(value, `${where}.${key}`);
          fees.webSearch = { per: 'query', byContext: { low: flat, medium: flat, high: flat } };
        }
      } else if (key === 'file_search_cost_per_1k_calls') {
        fees.fileSearchPer1k = picoPer(value, 1n, 'thousand', `${where}.${key}`, book.warnings);
      } else if (key === 'code_interpreter_cost_per_session') {
        fees.codeInterpreterPerSession = picoPer(value, 1n, 'session', `${where}.${key}`, book.warnings);
      } else noteUnknown(unknown, key, model);
    }
    period.rates = draft.rates as Rates;
    if (draft.long.size > 0) period.longContext = longTiers(draft.long);
    if (draft.tiers.size > 0) {
      period.serviceTiers = new Map<string, ServiceTierPricing>();
      for (const [name, t] of draft.tiers) {
        const tier: ServiceTierPricing = { rates: t.rates };
        if (t.long.size > 0) tier.longContext = longTiers(t.long);
        period.serviceTiers.set(name, tier);
      }
    }
    if (Object.keys(fees).length > 0) period.fees = fees;
    book.models.set(model, [period]);
  }
  if (book.models.size === 0)
    throw new PriceBookError(`${file}: no model with input_cost_per_token and output_cost_per_token`);
  for (const [key, { count, first }] of unknown)
    book.warnings.push(
      `${file}: key "${key}" (${count} ${count === 1 ? 'entry' : 'entries'}, e.g. ${first}) is not understood: that price is left out`
    );
  return book;
}

function noteUnknown(unknown: Map<string, { count: number; first: string }>, key: string, model: string): void {
  const seen = unknown.get(key);
  if (seen) seen.count++;
  else unknown.set(key, { count: 1, first: model });
}
