import { parseLitellmPriceBook } from './litellmPriceBook';
import { PriceBookError } from './priceBook';

const read = (doc: Record<string, unknown>, effectiveFromMs?: number) =>
  parseLitellmPriceBook(doc, 'map.json', '{}', effectiveFromMs);

describe("LiteLLM's price map", () => {
  it('is versioned by the first 12 hex digits of the SHA-256 of its content', () => {
    // printf '{}' | sha256sum
    expect(read({ m: { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 } }).version).toBe(
      'litellm-44136fa355b3'
    );
  });

  it('reads USD per token, keeping only the rates the entry states', () => {
    const book = read({
      plain: { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 },
      cached: {
        input_cost_per_token: 3e-6,
        output_cost_per_token: 1.5e-5,
        cache_read_input_token_cost: 3e-7,
        cache_creation_input_token_cost: 3.75e-6,
      },
    });
    expect(book.models.get('plain')).toEqual([
      {
        effectiveFromMs: 0,
        rates: { inputUncached: 1_000_000n, output: 2_000_000n },
      },
    ]);
    expect(book.models.get('cached')![0]!.rates).toEqual({
      inputUncached: 3_000_000n,
      output: 15_000_000n,
      cacheRead: 300_000n,
      cacheWrite: 3_750_000n,
    });
  });

  it('puts every price in force from the configured time', () => {
    expect(
      read({ m: { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 } }, 1735689600000).models.get('m')![0]!
        .effectiveFromMs
    ).toBe(1735689600000);
  });

  it('skips sample_spec, entries that are not objects and entries without both token prices', () => {
    const book = read({
      sample_spec: { input_cost_per_token: 0, output_cost_per_token: 0 },
      text: 'see docs',
      nothing: null,
      'input-only': { input_cost_per_token: 1e-6 },
      'output-only': { output_cost_per_token: 1e-6 },
      kept: { input_cost_per_token: 0, output_cost_per_token: 0 },
    });
    expect([...book.models.keys()]).toEqual(['kept']);
  });

  it('refuses a map without a single priced model, and a bad rate naming model and key', () => {
    expect(() => read({ 'dall-e-3': { output_cost_per_image: 0.04 } })).toThrow(
      new PriceBookError('map.json: no model with input_cost_per_token and output_cost_per_token')
    );
    expect(() => read({ m: { input_cost_per_token: 1e-6, output_cost_per_token: 'cheap' } })).toThrow(
      new PriceBookError('map.json: m.output_cost_per_token: "cheap" is not a decimal number')
    );
  });
});

describe("LiteLLM's price map: keys it does not price", () => {
  it('warns once per key not understood, naming how many entries carry it and one of them', () => {
    const book = read({
      a: { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6, input_cost_per_pixel: 1e-9, mode: 'chat' },
      b: { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6, input_cost_per_pixel: 2e-9, supports_vision: true },
      c: { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6, tiered_pricing: [] },
    });
    expect(book.warnings).toEqual([
      'map.json: key "input_cost_per_pixel" (2 entries, e.g. a) is not understood: that price is left out',
      'map.json: key "tiered_pricing" (1 entry, e.g. c) is not understood: that price is left out',
    ]);
  });

  it('reads tier suffixes, thresholds before them, and provider_specific_entry multipliers', () => {
    const period = read({
      m: {
        input_cost_per_token: 1e-6,
        output_cost_per_token: 2e-6,
        input_cost_per_token_above_128k_tokens: 3e-6,
        input_cost_per_token_priority: 4e-6,
        input_cost_per_token_above_128k_tokens_priority: 5e-6,
        input_cost_per_token_batches: 5e-7,
        provider_specific_entry: { us: 1.1, fast: 6 },
        regional_processing_uplift_multiplier_eu: 1.1,
      },
    }).models.get('m')![0]!;
    expect(period.longContext).toEqual([{ aboveInputTokens: 128_000, rates: { inputUncached: 3_000_000n } }]);
    expect(period.serviceTiers!.get('priority')).toEqual({
      rates: { inputUncached: 4_000_000n },
      longContext: [{ aboveInputTokens: 128_000, rates: { inputUncached: 5_000_000n } }],
    });
    expect(period.serviceTiers!.get('batch')).toEqual({ rates: { inputUncached: 500_000n } });
    expect([...period.speed!.keys()]).toEqual(['fast']);
    expect([...period.inferenceGeo!.keys()].sort()).toEqual(['eu', 'us']);
  });
});

describe("LiteLLM's price map: edges of the keys it prices", () => {
  const entry = (extra: Record<string, unknown>) =>
    read({ m: { input_cost_per_token: 1e-6, output_cost_per_token: 2e-6, ...extra } });

  it('refuses a multiplier that is not a number of zero or more, naming model and key; zero is one', () => {
    expect(() => entry({ provider_specific_entry: { us: 'x' } })).toThrow(
      new PriceBookError('map.json: m.provider_specific_entry.us: expected a non-negative multiplier, got "x"')
    );
    expect(() => entry({ regional_processing_uplift_multiplier_eu: -1.1 })).toThrow(
      new PriceBookError(
        'map.json: m.regional_processing_uplift_multiplier_eu: expected a non-negative multiplier, got -1.1'
      )
    );
    const period = entry({ provider_specific_entry: { us: 0, fast: 6 } }).models.get('m')![0]!;
    expect(period.inferenceGeo!.get('us')!.units).toBe(0n);
    expect(period.speed!.get('fast')!.units).toBe(6n);
  });

  it('reads the fees: web search per query, flat or by context size, file search per 1,000 calls, code interpreter per session', () => {
    const USD = 1_000_000_000_000n; // pico-USD; web search is kept per 1,000 queries
    const flat = entry({
      search_context_cost_per_query: 0.01,
      file_search_cost_per_1k_calls: 2.5,
      code_interpreter_cost_per_session: 0.03,
    }).models.get('m')![0]!.fees;
    expect(flat).toEqual({
      webSearch: { per: 'query', byContext: { low: 10n * USD, medium: 10n * USD, high: 10n * USD } },
      fileSearchPer1k: 2_500_000_000_000n,
      codeInterpreterPerSession: 30_000_000_000n,
    });
    const sized = (sizes: Record<string, number>) =>
      entry({ search_context_cost_per_query: sizes }).models.get('m')![0]!.fees?.webSearch?.byContext;
    const [low, medium, high] = [0.03, 0.035, 0.05];
    expect(
      sized({ search_context_size_low: low, search_context_size_medium: medium, search_context_size_high: high })
    ).toEqual({ low: 30n * USD, medium: 35n * USD, high: 50n * USD });
    // A size without a price takes the medium one, else the low one, else the high one.
    expect(sized({ search_context_size_low: low, search_context_size_high: high })).toEqual({
      low: 30n * USD,
      medium: 30n * USD,
      high: 50n * USD,
    });
    expect(sized({ search_context_size_medium: medium, search_context_size_high: high })).toMatchObject({
      low: 35n * USD,
    });
    expect(sized({ search_context_size_high: high })).toEqual({ low: 50n * USD, medium: 50n * USD, high: 50n * USD });
    const unknownSize = entry({ search_context_cost_per_query: { search_context_size_huge: 1 } });
    expect(unknownSize.models.get('m')![0]!.fees).toBeUndefined();
    expect(unknownSize.warnings).toEqual([
      'map.json: key "search_context_cost_per_query.search_context_size_huge" (1 entry, e.g. m) is not understood: that price is left out',
    ]);
  });

  it('reads a threshold in tokens as well as in thousands, with every rate stated at it', () => {
    const period = entry({
      input_cost_per_token_above_128000_tokens: 3e-6,
      output_cost_per_token_above_128000_tokens: 6e-6,
    }).models.get('m')![0]!;
    expect(period.longContext).toEqual([
      { aboveInputTokens: 128_000, rates: { inputUncached: 3_000_000n, output: 6_000_000n } },
    ]);
  });

  it('skips a key whose value is null, and warns of multipliers that are not an object of them', () => {
    const book = entry({
      cache_read_input_token_cost: null,
      provider_specific_entry: 1.5,
      new_prices_by_size: { small: 1e-9 },
    });
    expect(book.models.get('m')![0]!).toEqual({
      effectiveFromMs: 0,
      rates: { inputUncached: 1_000_000n, output: 2_000_000n },
    });
    expect(book.warnings).toEqual([
      'map.json: key "provider_specific_entry" (1 entry, e.g. m) is not understood: that price is left out',
      'map.json: key "new_prices_by_size" (1 entry, e.g. m) is not understood: that price is left out',
    ]);
  });
});
