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
