import { createHash } from 'node:crypto';
import { emptyPriceBook, PriceBook, PriceBookError, ratePerToken } from './priceBook';

/**
 * Import of LiteLLM's model_prices_and_context_window.json: an object keyed by model name whose entries
 * carry USD-per-token floats (`input_cost_per_token`, `output_cost_per_token`, `cache_read_input_token_cost`,
 * `cache_creation_input_token_cost`). It has no effective dates: every price is in force from `effectiveFromMs`
 * (the epoch unless the config says otherwise). Entries without token prices (images, audio) are skipped.
 */
export function parseLitellmPriceBook(
  doc: Record<string, unknown>,
  file: string,
  content: string,
  effectiveFromMs = 0
): PriceBook {
  const book = emptyPriceBook(`litellm-${createHash('sha256').update(content).digest('hex').slice(0, 12)}`);
  for (const [model, entry] of Object.entries(doc)) {
    if (model === 'sample_spec' || typeof entry !== 'object' || entry === null) continue;
    const e = entry as Record<string, unknown>;
    if (e.input_cost_per_token === undefined || e.output_cost_per_token === undefined) continue;
    const where = `${file}: ${model}`;
    const rate = (key: string): bigint => ratePerToken(e[key], 1n, `${where}.${key}`, book.warnings);
    const input = rate('input_cost_per_token');
    book.models.set(model, [
      {
        effectiveFromMs,
        rates: {
          inputUncached: input,
          output: rate('output_cost_per_token'),
          cacheRead: e.cache_read_input_token_cost !== undefined ? rate('cache_read_input_token_cost') : input,
          cacheWrite: e.cache_creation_input_token_cost !== undefined ? rate('cache_creation_input_token_cost') : input,
        },
      },
    ]);
  }
  if (book.models.size === 0)
    throw new PriceBookError(`${file}: no model with input_cost_per_token and output_cost_per_token`);
  return book;
}
