import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PRICING_EXTRAS, NO_TOKENS, NO_TOOL_CALLS, PricingInputs, TokenBuckets } from '../types';
import { IdentityMap } from './identityMap';
import { loadPriceBookFile, loadPriceBooks } from './loadPriceBook';
import { formatPicoUsd } from '../money';
import { FieldError } from '../parse/fieldError';
import { emptyPriceBook, PriceBook, PriceBookError } from './priceBook';
import { Pricer } from './pricer';

const dir = mkdtempSync(join(tmpdir(), 'tl-prices-'));
function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const BOOK = file(
  'prices.yaml',
  `version: test-1
models:
  gpt-4o:
    aliases: [gpt-4o-latest]
    prices:
      - { effective_from: 2024-05-13, input: 5.00, output: 15.00 }
      - { effective_from: 2024-10-01, input: 2.50, cache_read: 1.25, output: 10.00 }
  claude-sonnet-4-5:
    prices:
      - { effective_from: 2025-09-29, input: 3, cache_read: 0.30, cache_write: 3.75, output: 15 }
  gemini-flash:
    prices:
      - { input: "0.075", cache_read: "0.01875", output: "0.30" }
tiers:
  premium: { multiplier: 1.25 }
  internal:
    overrides:
      gpt-4o: { input: 2.00, output: 8.00 }
    multiplier: "0.5"
`
);

const t = (inputUncached: number, cacheRead: number, cacheWrite: number, output: number): TokenBuckets => ({
  ...NO_TOKENS,
  inputUncached,
  cacheRead,
  cacheWrite,
  output,
});
/** A request of `model` with nothing to price but its tokens. */
const priceOf = (
  pricer: Pricer,
  model: string,
  provider: string | undefined,
  tier: string | undefined,
  startMs: number,
  tokens: TokenBuckets
) => pricer.price({ ...DEFAULT_PRICING_EXTRAS, model, provider, tier, startMs, tokens });
const at = (iso: string) => Date.parse(iso);
/** A book of one model `m` priced by one period (YAML flow mapping), loaded from a file. */
const bookOfM = (name: string, period: string) =>
  loadPriceBookFile(file(name, `models:\n  m:\n    prices:\n      - ${period}\n`));
/** A request of `m` at time 0, one uncached input token and nothing else unless `extra` says. */
const priceOfM = (book: PriceBook, extra: Partial<PricingInputs>) =>
  new Pricer(book).price({
    ...DEFAULT_PRICING_EXTRAS,
    model: 'm',
    provider: undefined,
    tier: undefined,
    startMs: 0,
    tokens: t(1, 0, 0, 0),
    ...extra,
  });

describe('Pricer', () => {
  let pricer: Pricer;
  beforeEach(() => {
    pricer = new Pricer(loadPriceBookFile(BOOK));
  });
  const usd = (p: { costPusd: bigint } | undefined) => (p ? formatPicoUsd(p.costPusd) : undefined);

  it('prices each bucket at its own rate, exactly', () => {
    // 1,000,000 uncached at 2.50 + 500,000 cached at 1.25 + 100,000 output at 10.00 = 2.5 + 0.625 + 1.0
    expect(
      usd(
        priceOf(pricer, 'gpt-4o', undefined, undefined, at('2025-01-01T00:00:00Z'), t(1_000_000, 500_000, 0, 100_000))
      )
    ).toBe('4.125000000000');
  });

  it('uses the rate in force at the request start', () => {
    expect(
      usd(priceOf(pricer, 'gpt-4o', undefined, undefined, at('2024-09-30T23:59:59Z'), t(1_000_000, 0, 0, 0)))
    ).toBe('5.000000000000');
    expect(
      usd(priceOf(pricer, 'gpt-4o', undefined, undefined, at('2024-10-01T00:00:00Z'), t(1_000_000, 0, 0, 0)))
    ).toBe('2.500000000000');
    expect(priceOf(pricer, 'gpt-4o', undefined, undefined, at('2024-01-01T00:00:00Z'), t(1, 0, 0, 0))).toBeUndefined();
  });

  it('falls back to the input rate for a missing cache rate', () => {
    // Before 2024-10-01 gpt-4o has no cache_read rate: cache reads cost the input rate (5.00).
    expect(
      usd(priceOf(pricer, 'gpt-4o', undefined, undefined, at('2024-06-01T00:00:00Z'), t(0, 1_000_000, 1_000_000, 0)))
    ).toBe('10.000000000000');
  });

  it('prices Anthropic cache writes and reads', () => {
    expect(
      usd(priceOf(pricer, 'claude-sonnet-4-5', undefined, undefined, at('2025-10-01T00:00:00Z'), t(48, 500, 2100, 312)))
    ).toBe('0.012849000000');
  });

  it('keeps sub-nano rates exact', () => {
    expect(usd(priceOf(pricer, 'gemini-flash', undefined, undefined, at('2025-01-01T00:00:00Z'), t(0, 1, 0, 0)))).toBe(
      '0.000000018750'
    );
  });

  it('resolves aliases, provider prefixes and snapshot dates', () => {
    expect(pricer.resolveModel('gpt-4o-latest')).toBe('gpt-4o');
    expect(pricer.resolveModel('openai/gpt-4o')).toBe('gpt-4o');
    expect(pricer.resolveModel('gpt-4o-2024-08-06')).toBe('gpt-4o');
    expect(pricer.resolveModel('claude-sonnet-4-5-20250929')).toBe('claude-sonnet-4-5');
    expect(pricer.resolveModel('llama-3-70b')).toBeNull();
  });

  it('charges tiers by multiplier or override table, keeping cost at list price', () => {
    const tokens = t(1_000_000, 0, 0, 1_000_000);
    const when = at('2025-01-01T00:00:00Z');
    expect(priceOf(pricer, 'gpt-4o', undefined, 'premium', when, tokens)).toMatchObject({
      costPusd: 12_500_000_000_000n,
      chargePusd: 15_625_000_000_000n,
    });
    // internal: override 2.00 + 8.00 = 10.00, then x0.5
    expect(priceOf(pricer, 'gpt-4o', undefined, 'internal', when, tokens)).toMatchObject({
      costPusd: 12_500_000_000_000n,
      chargePusd: 5_000_000_000_000n,
    });
    expect(priceOf(pricer, 'gpt-4o', undefined, 'unknown-tier', when, tokens)).toMatchObject({
      costPusd: 12_500_000_000_000n,
      chargePusd: 12_500_000_000_000n,
    });
  });
});

describe('Pricer: large amounts, aliases under tiers', () => {
  let pricer: Pricer;
  beforeEach(() => {
    pricer = new Pricer(loadPriceBookFile(BOOK));
  });
  const when = at('2025-10-01T00:00:00Z');

  it('keeps a cost above 2^53 pico-USD exact, where doubles would be 16 pico-USD off', () => {
    // 9,999,999,999 x 3,000,000 + 7 x 300,000 + 3 x 3,750,000 + 9,999,999,997 x 15,000,000 pico-USD, summed by hand.
    const price = priceOf(
      pricer,
      'claude-sonnet-4-5',
      undefined,
      undefined,
      when,
      t(9_999_999_999, 7, 3, 9_999_999_997)
    );
    expect(price?.costPusd).toBe(179_999_999_965_350_000n);
    expect(BigInt(9_999_999_999 * 3_000_000 + 7 * 300_000 + 3 * 3_750_000 + 9_999_999_997 * 15_000_000)).toBe(
      179_999_999_965_350_016n
    );
  });

  it('keeps the charge exact too, through an override and a multiplier', () => {
    // internal: gpt-4o override input 2.00, output 8.00 (cache reads keep list 1.25), then x0.5.
    const price = priceOf(pricer, 'gpt-4o', undefined, 'internal', when, t(9_999_999_999, 3, 0, 9_999_999_997));
    expect(price?.chargePusd).toBe(49_999_999_988_875_000n);
  });

  it.each(['gpt-4o-latest', 'openai/gpt-4o', 'gpt-4o-2024-08-06', 'openai/gpt-4o-latest'])(
    'applies the tier override of gpt-4o to %s, a name that resolves to it',
    (name) => {
      const tokens = t(1_000_000, 0, 0, 1_000_000);
      expect(priceOf(pricer, name, undefined, 'internal', at('2025-01-01T00:00:00Z'), tokens)).toMatchObject({
        costPusd: 12_500_000_000_000n,
        chargePusd: 5_000_000_000_000n,
      });
    }
  );

  it('leaves a model without a price unpriced, and a request before its first price', () => {
    expect(priceOf(pricer, 'llama-3-70b', undefined, 'premium', when, t(1, 0, 0, 1))).toBeUndefined();
    expect(
      priceOf(pricer, 'claude-sonnet-4-5', undefined, undefined, at('2025-09-28T23:59:59Z'), t(1, 0, 0, 1))
    ).toBeUndefined();
  });

  it('a tier with overrides and no multiplier charges the override rates as they are', () => {
    const book = loadPriceBookFile(
      file(
        'overrides-only.yaml',
        'models:\n  m:\n    prices:\n      - { input: 1, output: 2 }\ntiers:\n  partner:\n    overrides:\n      m: { output: 1 }\n'
      )
    );
    expect(priceOf(new Pricer(book), 'm', undefined, 'partner', when, t(1_000_000, 0, 0, 1_000_000))).toMatchObject({
      costPusd: 3_000_000_000_000n,
      chargePusd: 2_000_000_000_000n,
    });
  });

  it('accepts a cost of exactly 2^63 - 1 pico-USD and refuses one more', () => {
    const max = (1n << 63n) - 1n;
    const book = emptyPriceBook('edge');
    book.models.set('edge', [
      { effectiveFromMs: 0, rates: { inputUncached: max, cacheRead: max, cacheWrite: max, output: 1n } },
    ]);
    const edge = new Pricer(book);
    expect(priceOf(edge, 'edge', undefined, undefined, when, t(1, 0, 0, 0))?.costPusd).toBe(max);
    expect(() => priceOf(edge, 'edge', undefined, undefined, when, t(1, 0, 0, 1))).toThrow(FieldError);
  });

  describe('an amount the ledger cannot hold (BIGINT: at most 9,223,372.036854775807 USD)', () => {
    const HUGE = file(
      'huge.yaml',
      'models:\n  gold-plated:\n    prices:\n      - { input: 1000000000000, output: 1000000000000 }\ntiers:\n  premium: { multiplier: 1.25 }\n'
    );
    let huge: Pricer;
    beforeEach(() => {
      huge = new Pricer(loadPriceBookFile(HUGE));
    });
    const refusal = (fn: () => unknown): FieldError => {
      try {
        fn();
      } catch (e) {
        if (e instanceof FieldError) return e;
        throw e;
      }
      throw new Error('expected a FieldError');
    };

    it('prices up to the limit', () => {
      // 1e12 USD per 1M tokens is 1e18 pico-USD per token.
      expect(priceOf(huge, 'gold-plated', undefined, undefined, when, t(9, 0, 0, 0))?.costPusd).toBe(
        9_000_000_000_000_000_000n
      );
    });

    it('refuses the request as invalid_field cost, naming the amount and the model', () => {
      expect(refusal(() => priceOf(huge, 'gold-plated', undefined, undefined, when, t(5, 0, 0, 5)))).toMatchObject({
        reason: 'invalid_field',
        field: 'cost',
        message:
          'cost: 10000000.000000000000 USD for one request of gold-plated is more than the 9223372.036854775807 USD the ledger holds per request',
      });
    });

    it('refuses a charge the tier takes above the limit as invalid_field charge', () => {
      expect(refusal(() => priceOf(huge, 'gold-plated', undefined, 'premium', when, t(8, 0, 0, 0))).field).toBe(
        'charge'
      );
      expect(priceOf(huge, 'gold-plated', undefined, 'premium', when, t(7, 0, 0, 0))?.chargePusd).toBe(
        8_750_000_000_000_000_000n
      );
    });
  });
});

describe('price book files', () => {
  it('imports LiteLLM model_prices_and_context_window.json, skipping sample_spec and non-token entries', () => {
    const p = file(
      'litellm.json',
      JSON.stringify({
        sample_spec: { input_cost_per_token: 0, output_cost_per_token: 0 },
        'gpt-4o-mini': {
          input_cost_per_token: 1.5e-7,
          output_cost_per_token: 6e-7,
          cache_read_input_token_cost: 7.5e-8,
          litellm_provider: 'openai',
          mode: 'chat',
        },
        'claude-haiku-4-5': {
          input_cost_per_token: 1e-6,
          output_cost_per_token: 5e-6,
          cache_creation_input_token_cost: 1.25e-6,
        },
        'dall-e-3': { output_cost_per_image: 0.04, mode: 'image_generation' },
      })
    );
    const book = loadPriceBookFile(p);
    expect([...book.models.keys()].sort()).toEqual(['claude-haiku-4-5', 'gpt-4o-mini']);
    expect(book.models.get('gpt-4o-mini')![0]!.rates).toEqual({
      inputUncached: 150_000n,
      output: 600_000n,
      cacheRead: 75_000n,
    });
    // No cache_read_input_token_cost: a cache read is priced at the input rate.
    expect(priceOf(new Pricer(book), 'claude-haiku-4-5', undefined, undefined, 0, t(0, 1, 0, 0))?.costPusd).toBe(
      1_000_000n
    );
  });

  it('warns, in the unit of the book, when a rate is finer than one pico-USD per token', () => {
    const book = loadPriceBookFile(
      file('fine.yaml', 'models:\n  m:\n    prices:\n      - { input: 0.0000001, output: 1 }\n')
    );
    expect(book.warnings).toEqual([
      expect.stringMatching(
        /models\.m\.prices\[0\]\.input: 1e-7 USD per 1,000,000 tokens is finer than one pico-USD \(1e-12 USD\) per token; rounded to 0 pico-USD per token$/
      ),
    ]);
  });

  it("prices a model under the provider the log names, as LiteLLM's map keys self-hosted models", () => {
    const p = file(
      'litellm-providers.json',
      JSON.stringify({
        'hosted_vllm/llama-3.1-70b-instruct': { input_cost_per_token: 1e-7, output_cost_per_token: 2e-7 },
        'gpt-4o': { input_cost_per_token: 2.5e-6, output_cost_per_token: 1e-5 },
        'azure/gpt-4o': { input_cost_per_token: 5e-6, output_cost_per_token: 1.5e-5 },
      })
    );
    const pricer = new Pricer(loadPriceBookFile(p));
    expect(pricer.resolveModel('llama-3.1-70b-instruct', 'hosted_vllm')).toBe('hosted_vllm/llama-3.1-70b-instruct');
    expect(pricer.resolveModel('llama-3.1-70b-instruct')).toBeNull();
    expect(pricer.resolveModel('gpt-4o', 'azure')).toBe('azure/gpt-4o');
    expect(pricer.resolveModel('gpt-4o', 'openai')).toBe('gpt-4o');
    expect(pricer.resolveModel('openai/gpt-4o', 'azure')).toBe('gpt-4o');
    const tokens = t(1000, 0, 0, 1000);
    expect(priceOf(pricer, 'llama-3.1-70b-instruct', 'hosted_vllm', undefined, 0, tokens)?.costPusd).toBe(300_000_000n);
  });

  it('merges books: a later file adds models and tiers', () => {
    const extra = file('extra.yaml', 'models:\n  local-llama:\n    prices:\n      - { input: 0.1, output: 0.1 }\n');
    const book = loadPriceBooks([BOOK, extra]);
    expect(book.models.has('gpt-4o') && book.models.has('local-llama')).toBe(true);
    expect(book.tiers.has('premium')).toBe(true);
  });

  it.each([
    [
      'missing output',
      'models:\n  m:\n    prices:\n      - { input: 1 }\n',
      /models\.m\.prices\[0\]: missing key "output"/,
    ],
    [
      'bad rate',
      'models:\n  m:\n    prices:\n      - { input: abc, output: 1 }\n',
      /models\.m\.prices\[0\]\.input: "abc" is not a decimal/,
    ],
    [
      'unknown rate key',
      'models:\n  m:\n    prices:\n      - { input: 1, output: 1, outptu: 2 }\n',
      /prices\[0\]\.outptu: unknown rate/,
    ],
    [
      'bad date',
      'models:\n  m:\n    prices:\n      - { effective_from: soon, input: 1, output: 1 }\n',
      /effective_from: expected a date/,
    ],
    ['negative', 'models:\n  m:\n    prices:\n      - { input: -1, output: 1 }\n', /cannot be negative/],
    ['not a book', 'hello: world\n', /not a price book/],
    ['bad tier key', 'models: {}\ntiers:\n  gold: { multipler: 2 }\n', /tiers\.gold\.multipler: unknown key/],
    [
      'broken JSON',
      '{\n  "gpt-4o": { "input_cost_per_token": 1e-6, },\n  "x": 2\n}\n',
      /not valid JSON: .* at line 2, column \d+$/,
    ],
    ['JSON cut short', '{"gpt-4o": {"input_cost_per_token": 1e-6', /not valid JSON/],
  ])('explains a broken book (%s), naming file and key', (_name, content, message) => {
    const p = file('broken.yaml', content);
    expect(() => loadPriceBookFile(p)).toThrow(PriceBookError);
    expect(() => loadPriceBookFile(p)).toThrow(message);
    expect(() => loadPriceBookFile(p)).toThrow(p);
  });
});

describe('IdentityMap', () => {
  let ids: IdentityMap;
  beforeEach(() => {
    ids = new IdentityMap(
      [
        { apiKey: 'ci-bot', owner: 'alice@example.com', team: 'engineering', tier: 'gold' },
        { user: 'bob@example.com', team: 'sales', tier: 'free' },
      ],
      'standard'
    );
  });
  const rec = (over: object) => ({
    requestId: 'r',
    startMs: 0,
    durationMs: undefined,
    user: undefined,
    apiKeyId: undefined,
    apiKeyAlias: undefined,
    team: undefined,
    tier: undefined,
    model: 'm',
    provider: undefined,
    status: 'success' as const,
    httpStatus: undefined,
    tokens: t(0, 0, 0, 0),
    ...DEFAULT_PRICING_EXTRAS,
    modelRequested: undefined,
    reportedCostPusd: undefined,
    ...over,
  });

  it('fills owner, team and tier from the API key alias', () => {
    const r = rec({ apiKeyAlias: 'ci-bot' });
    ids.apply(r);
    expect(r).toMatchObject({ user: 'alice@example.com', team: 'engineering', tier: 'gold' });
  });

  it('never overrides what the log says, and falls back to the default tier', () => {
    const r = rec({ user: 'bob@example.com', tier: 'platinum' });
    ids.apply(r);
    expect(r).toMatchObject({ team: 'sales', tier: 'platinum' });
    const other = rec({ user: 'zed' });
    ids.apply(other);
    expect(other.tier).toBe('standard');
  });
});

describe('a YAML price book version', () => {
  it('is a text or a number; a mapping or a list is refused by name rather than stored as "[object Object]"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tl-version-'));
    const book = (version: string) => {
      const file = join(dir, `book-${version.length}.yaml`);
      writeFileSync(
        file,
        `version: ${version}\nmodels:\n  gpt-4o:\n    prices: [{ effective_from: 2025-01-01, input: 2.5, output: 10 }]\n`
      );
      return file;
    };
    expect(loadPriceBookFile(book('2026-12')).version).toBe('2026-12');
    expect(loadPriceBookFile(book('7')).version).toBe('7');
    expect(() => loadPriceBookFile(book('{ a: 1 }'))).toThrow(
      new PriceBookError(`${join(dir, 'book-8.yaml')}: version: expected a text or a number, got {"a":1}`)
    );
    expect(() => loadPriceBookFile(book('[1, 2]'))).toThrow('version: expected a text or a number, got [1,2]');
  });
});

describe('Pricer: model names', () => {
  const rates = (n: bigint) => ({ inputUncached: n, cacheRead: n, cacheWrite: n, output: n });
  const pricerOf = (models: string[], aliases: [string, string][] = []) => {
    const book = emptyPriceBook('names');
    for (const m of models) book.models.set(m, [{ effectiveFromMs: 0, rates: rates(1n) }]);
    for (const [a, m] of aliases) book.aliases.set(a, m);
    return new Pricer(book);
  };

  it("prefers the name under the log's provider over the bare name, and keeps providers apart", () => {
    const p = pricerOf(['m', 'vllm/m']);
    expect(p.resolveModel('m', 'vllm')).toBe('vllm/m');
    expect(p.resolveModel('m')).toBe('m');
    expect(p.resolveModel('m', 'openai')).toBe('m');
    expect(p.resolveModel('m', 'vllm')).toBe('vllm/m');
  });

  it('drops a provider prefix and then a snapshot date in either form', () => {
    const p = pricerOf(['claude-3-5-haiku']);
    expect(p.resolveModel('anthropic/claude-3-5-haiku-20241022')).toBe('claude-3-5-haiku');
    expect(p.resolveModel('claude-3-5-haiku-2024-10-22')).toBe('claude-3-5-haiku');
    expect(p.resolveModel('claude-3-5-haiku-241022')).toBeNull();
  });

  it('follows an alias only to a model the book prices', () => {
    const p = pricerOf(
      ['m'],
      [
        ['latest', 'm'],
        ['ghost', 'retired-model'],
      ]
    );
    expect(p.resolveModel('latest')).toBe('m');
    expect(p.resolveModel('ghost')).toBeNull();
    expect(priceOf(p, 'ghost', undefined, undefined, 0, t(1, 0, 0, 0))).toBeUndefined();
  });

  it('prices nothing that re-pricing would skip: no price without a billed model, but for usage or a cache hit', () => {
    // Ledger.repriceUnpriced reads no unpriced row when, for every way they name their model, billedModel is null
    // or no row reported usage, unless one was a gateway cache hit (sql/repricing.ts mayPriceAny).
    const p = pricerOf(['m', 'vllm/n', 'base'], [['alias', 'm']]);
    const names = ['m', 'alias', 'n', 'openai/m', 'm-2024-10-22', 'unknown', 'ghost', 'deployment'];
    let priced = 0;
    for (const model of names)
      for (const baseModel of [undefined, 'base', 'unknown'])
        for (const provider of [undefined, 'vllm', 'openai'])
          for (const usageReported of [true, false])
            for (const gatewayCacheHit of [false, true]) {
              const r = { ...DEFAULT_PRICING_EXTRAS, model, baseModel, provider, usageReported, gatewayCacheHit };
              const price = p.price({ ...r, tier: undefined, startMs: 0, tokens: t(1, 0, 0, 1) });
              if (price === undefined) continue;
              priced++;
              expect(gatewayCacheHit || (usageReported && p.billedModel(r) !== null)).toBe(true);
            }
    // Both sides were met: rows priced by their model, by their base model, and cache hits of unknown models.
    expect(priced).toBeGreaterThan(100);
  });

  it('multiplies each bucket by its own rate, also when every quotient would be whole', () => {
    // Tokens a multiple of their rate: a bucket divided by its rate instead would still sum to a whole number of
    // pico-USD, which the exact fast path (below 2^53) would return.
    const rates = {
      inputUncached: 2n,
      cacheRead: 3n,
      cacheWrite: 5n,
      cacheWrite1h: 7n,
      output: 11n,
      reasoning: 13n,
      inputAudio: 17n,
      inputImage: 19n,
      inputVideo: 23n,
      outputAudio: 29n,
      outputImage: 31n,
    };
    const book = emptyPriceBook('whole');
    book.models.set('m', [{ effectiveFromMs: 0, rates }]);
    const k = (rate: bigint) => 3 * Number(rate);
    const tokens: TokenBuckets = {
      ...NO_TOKENS,
      inputUncached: k(rates.inputUncached) + k(rates.inputAudio) + k(rates.inputImage) + k(rates.inputVideo),
      cacheRead: k(rates.cacheRead),
      cacheWrite: k(rates.cacheWrite),
      cacheWrite1h: k(rates.cacheWrite1h),
      output: k(rates.output) + k(rates.reasoning) + k(rates.outputAudio) + k(rates.outputImage),
      reasoning: k(rates.reasoning),
      inputAudio: k(rates.inputAudio),
      inputImage: k(rates.inputImage),
      inputVideo: k(rates.inputVideo),
      outputAudio: k(rates.outputAudio),
      outputImage: k(rates.outputImage),
    };
    const expected = Object.values(rates).reduce((sum, r) => sum + 3n * r * r, 0n);
    expect(priceOf(new Pricer(book), 'm', undefined, undefined, 0, tokens)?.costPusd).toBe(expected);
  });

  it('prices each bucket at its own rate, skipping buckets without tokens', () => {
    const book = emptyPriceBook('buckets');
    book.models.set('m', [
      { effectiveFromMs: 0, rates: { inputUncached: 1n, cacheRead: 10n, cacheWrite: 100n, output: 1000n } },
    ]);
    expect(priceOf(new Pricer(book), 'm', undefined, undefined, 0, t(1, 2, 3, 4))?.costPusd).toBe(4321n);
    expect(priceOf(new Pricer(book), 'm', undefined, undefined, 0, t(0, 0, 5, 0))?.costPusd).toBe(500n);
  });
});

describe('per-call fees: rounding', () => {
  it('rounds count x (USD per 1,000) / 1,000 to whole pico-USD once per request, half to even', () => {
    // 1.5e-9 USD per 1,000 calls = 1,500 pico-USD per 1,000 = 1.5 pico-USD a call: exact for 2 calls (3),
    // 1 call is 1.5 -> 2 and 3 calls 4.5 -> 4 (half to even).
    const book = bookOfM('fees.yaml', '{ input: 0, output: 0, fees: { file_search: { per_1k: "0.0000000015" } } }');
    const fee = (calls: number) => priceOfM(book, { toolCalls: { ...NO_TOOL_CALLS, fileSearchCalls: calls } })?.feePusd;
    expect([fee(1), fee(2), fee(3)]).toEqual([2n, 3n, 4n]);
  });

  it('charges nothing for a tool the book has no fee for', () => {
    const bookOf = (name: string, fees: string) => bookOfM(name, `{ input: 0, output: 0, fees: ${fees} }`);
    const feeOf = (book: PriceBook, toolCalls: Partial<typeof NO_TOOL_CALLS>) =>
      priceOfM(book, { toolCalls: { ...NO_TOOL_CALLS, ...toolCalls } })?.feePusd;
    const sessions = bookOf('sessions.yaml', '{ code_interpreter: { per_session: 0.03 } }');
    expect(feeOf(sessions, { fileSearchCalls: 5, webSearchQueries: 2, mapsGroundingQueries: 1 })).toBe(0n);
    expect(feeOf(sessions, { fileSearchCalls: 5, codeInterpreterSessions: 2 })).toBe(60_000_000_000n);
    const fileSearch = bookOf('file-search.yaml', '{ file_search: { per_1k: 2.5 } }');
    expect(feeOf(fileSearch, { codeInterpreterSessions: 2 })).toBe(0n);
  });
});

describe('service tiers and reasoning', () => {
  it('bills reasoning at the service tier output rate when the tier gives no reasoning rate', () => {
    const book = bookOfM(
      'tier-reasoning.yaml',
      '{ input: 1, output: 4, reasoning: 8, service_tiers: { flex: { input: 0.5, output: 2 } } }'
    );
    const at = (serviceTier: string | undefined) =>
      priceOfM(book, { tokens: { ...NO_TOKENS, output: 10, reasoning: 10 }, serviceTier })?.costPusd;
    expect(at(undefined)).toBe(80_000_000n); // 10 x 8e6
    expect(at('flex')).toBe(20_000_000n); // 10 x 2e6, flex output
  });

  it("keeps the standard reasoning rate under a tier that only multiplies, and a tier's own reasoning rate", () => {
    const book = bookOfM(
      'tier-multiplier.yaml',
      '{ input: 1, output: 4, reasoning: 8, service_tiers: { batch: { multiplier: 0.5 }, priority: { output: 6, reasoning: 12 } } }'
    );
    const at = (serviceTier: string) =>
      priceOfM(book, { tokens: { ...NO_TOKENS, output: 10, reasoning: 10 }, serviceTier })?.costPusd;
    expect(at('batch')).toBe(40_000_000n); // 10 x 8e6 x 0.5: standard reasoning, halved
    expect(at('priority')).toBe(120_000_000n); // 10 x 12e6, the tier's own reasoning rate
    // A book built without rates for the tier (not from a file): the same.
    delete book.models.get('m')![0]!.serviceTiers!.get('batch')!.rates;
    expect(at('batch')).toBe(40_000_000n);
  });
});
