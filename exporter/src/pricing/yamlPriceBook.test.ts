import { PriceBook, PriceBookError } from './priceBook';
import { parseYamlPriceBook } from './yamlPriceBook';

/** Our price-book format, read from the document YAML or JSON gives (docs/pricing.md); `f.yaml` names the file. */
const read = (doc: unknown, content = 'models: {}'): PriceBook => parseYamlPriceBook(doc, 'f.yaml', content);
const refusal = (doc: unknown): string => {
  try {
    read(doc);
  } catch (e) {
    if (e instanceof PriceBookError) return e.message;
    throw e;
  }
  throw new Error('expected a PriceBookError');
};
const oneModel = (price: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  models: { m: { prices: [price] } },
  ...extra,
});

describe('the document', () => {
  it.each([[null], [[]], ['models'], [3]])('must be a mapping (%p is not)', (doc) => {
    expect(refusal(doc)).toBe('f.yaml: expected a mapping with a "models" key');
  });

  it.each([[undefined], [[]], ['gpt-4o'], [null]])('needs models as a mapping (%p is not)', (models) => {
    expect(refusal({ models })).toBe('f.yaml: models: expected a mapping of model name to prices');
  });

  it("takes its version from the book, as text, or else from the first 12 hex digits of the content's SHA-256", () => {
    expect(read({ version: 2025, models: {} }).version).toBe('2025');
    expect(read({ version: 'v-1', models: {} }).version).toBe('v-1');
    // printf 'models: {}' | sha256sum
    expect(read({ models: {} }, 'models: {}').version).toBe('aacb2bdc47fc');
  });

  it('reads an empty models mapping as a book without models, tiers or warnings', () => {
    const book = read({ models: {} });
    expect([book.models.size, book.aliases.size, book.tiers.size, book.warnings]).toEqual([0, 0, 0, []]);
  });
});

describe('units', () => {
  it('reads rates per million tokens by default, and per token when the book says so', () => {
    // 3 USD per 1M tokens = 3e-6 USD = 3,000,000 pico-USD per token.
    expect(read(oneModel({ input: 3, output: 15 })).models.get('m')![0]!.rates).toMatchObject({
      inputUncached: 3_000_000n,
      output: 15_000_000n,
    });
    expect(
      read({ unit: 'per_million_tokens', ...oneModel({ input: 3, output: 15 }) }).models.get('m')![0]!.rates.output
    ).toBe(15_000_000n);
    expect(
      read({ unit: 'per_token', ...oneModel({ input: '0.000003', output: 1 }) }).models.get('m')![0]!.rates
    ).toMatchObject({ inputUncached: 3_000_000n, output: 1_000_000_000_000n });
  });

  it('refuses any other unit, quoting it', () => {
    expect(refusal({ unit: 'per_thousand_tokens', models: {} })).toBe(
      'f.yaml: unit: expected per_million_tokens or per_token, got "per_thousand_tokens"'
    );
  });
});

describe('models and their prices', () => {
  it.each([
    ['a list', ['x']],
    ['a text', 'x'],
    ['no prices', {}],
    ['prices not a list', { prices: { input: 1 } }],
    ['an empty list', { prices: [] }],
  ])('needs a non-empty list of prices per model (%s is not)', (_name, spec) => {
    expect(refusal({ models: { m: spec } })).toBe(
      'f.yaml: models.m.prices: expected a non-empty list of {effective_from, input, output, ...}'
    );
  });

  it('refuses a price that is not a mapping, naming its index', () => {
    expect(refusal({ models: { m: { prices: [{ input: 1, output: 1 }, 'free'] } } })).toBe(
      'f.yaml: models.m.prices[1]: expected a mapping'
    );
  });

  it('needs input and output; keeps only the rates stated (the pricer resolves fallbacks)', () => {
    expect(refusal(oneModel({ output: 1 }))).toBe('f.yaml: models.m.prices[0]: missing key "input"');
    expect(refusal(oneModel({ input: 1, cache_read: 1 }))).toBe('f.yaml: models.m.prices[0]: missing key "output"');
    expect(read(oneModel({ input: 2, output: 8 })).models.get('m')![0]!.rates).toEqual({
      inputUncached: 2_000_000n,
      output: 8_000_000n,
    });
    expect(
      read(oneModel({ input: 3, cache_read: 0.3, cache_write: 3.75, output: 15 })).models.get('m')![0]!.rates
    ).toEqual({ inputUncached: 3_000_000n, cacheRead: 300_000n, cacheWrite: 3_750_000n, output: 15_000_000n });
  });

  it('refuses an unknown rate key, listing the known ones', () => {
    expect(refusal(oneModel({ input: 1, output: 1, reasonig: 1 }))).toBe(
      'f.yaml: models.m.prices[0].reasonig: unknown rate; expected one of input, cache_read, cache_write, cache_write_1h, output, reasoning, input_audio, input_image, input_video, output_audio, output_image, effective_from, long_context, service_tiers, speed, inference_geo, fees'
    );
  });

  it('refuses a rate that is not a price, naming the key', () => {
    expect(refusal(oneModel({ input: true, output: 1 }))).toBe(
      'f.yaml: models.m.prices[0].input: expected a price (number or decimal string), got true'
    );
  });
});

describe('effective dates', () => {
  const from = (effective_from: unknown): number =>
    read(oneModel({ effective_from, input: 1, output: 1 })).models.get('m')![0]!.effectiveFromMs;

  it('default to the epoch', () => {
    expect(read(oneModel({ input: 1, output: 1 })).models.get('m')![0]!.effectiveFromMs).toBe(0);
  });

  it('read a date as midnight UTC, and a time with its zone as given', () => {
    expect(from('2024-05-13')).toBe(1715558400000);
    expect(from(new Date('2024-05-13T00:00:00Z'))).toBe(1715558400000);
    expect(from('2024-05-13T12:00:00+02:00')).toBe(1715594400000);
    expect(from('2024-05-13T10:00:00Z')).toBe(1715594400000);
    expect(from('2024-05-13 12:00+02:00')).toBe(1715594400000);
  });

  it.each([
    ['soon', '"soon"'],
    [20240513, '20240513'],
    ['2024-05-13 10:00', '"2024-05-13 10:00"'],
    [null, 'null'],
  ])('refuse %p, quoting it', (value, quoted) => {
    expect(refusal(oneModel({ effective_from: value, input: 1, output: 1 }))).toBe(
      `f.yaml: models.m.prices[0].effective_from: expected a date like 2025-01-31, got ${quoted}`
    );
  });

  it('order the periods by date whatever the order in the book', () => {
    const book = read({
      models: {
        m: {
          prices: [
            { effective_from: '2025-01-31', input: 3, output: 3 },
            { input: 1, output: 1 },
            { effective_from: '2024-05-13', input: 2, output: 2 },
          ],
        },
      },
    });
    expect(book.models.get('m')!.map((p) => [p.effectiveFromMs, p.rates.inputUncached])).toEqual([
      [0, 1_000_000n],
      [1715558400000, 2_000_000n],
      [1738281600000, 3_000_000n],
    ]);
  });

  it('refuse two prices that take effect at the same time, even when written differently', () => {
    const prices = [
      { effective_from: '2024-01-01', input: 1, output: 1 },
      { effective_from: '2024-05-13', input: 2, output: 2 },
      { effective_from: '2024-05-13T00:00:00Z', input: 3, output: 3 },
    ];
    expect(refusal({ models: { m: { prices } } })).toBe(
      'f.yaml: models.m.prices: two entries take effect at the same time'
    );
  });
});

describe('aliases', () => {
  it('map each alias, as text, to its model', () => {
    const book = read({
      models: { 'gpt-4o': { aliases: ['gpt-4o-latest', 2024], prices: [{ input: 1, output: 1 }] } },
    });
    expect([...book.aliases]).toEqual([
      ['gpt-4o-latest', 'gpt-4o'],
      ['2024', 'gpt-4o'],
    ]);
  });

  it('must be a list', () => {
    expect(refusal({ models: { m: { aliases: 'm2', prices: [{ input: 1, output: 1 }] } } })).toBe(
      'f.yaml: models.m.aliases: expected a list of names'
    );
  });
});

describe('tiers', () => {
  const tier = (spec: unknown, extra: Record<string, unknown> = {}) =>
    read({ ...oneModel({ input: 1, output: 1 }), tiers: { t: spec }, ...extra }).tiers.get('t')!;
  const tierRefusal = (spec: unknown) => refusal({ ...oneModel({ input: 1, output: 1 }), tiers: { t: spec } });

  it('must be a mapping of tier name to pricing', () => {
    expect(refusal({ models: {}, tiers: ['gold'] })).toBe('f.yaml: tiers: expected a mapping of tier name to pricing');
    expect(tierRefusal('x2')).toBe('f.yaml: tiers.t: expected {multiplier} or {overrides}');
    expect(tierRefusal({ multiplier: 2, discount: 1 })).toBe(
      'f.yaml: tiers.t.discount: unknown key; expected multiplier or overrides'
    );
  });

  it('read a multiplier exactly, zero included', () => {
    expect(tier({ multiplier: 1.25 })).toEqual({ multiplier: { units: 125n, scale: 2 }, overrides: new Map() });
    expect(tier({ multiplier: '0' }).multiplier).toEqual({ units: 0n, scale: 0 });
    expect(tier({}).multiplier).toBeUndefined();
  });

  it('refuse a multiplier that is not a decimal, or is negative', () => {
    expect(tierRefusal({ multiplier: 'double' })).toBe(
      'f.yaml: tiers.t.multiplier: expected a decimal number, got "double"'
    );
    expect(tierRefusal({ multiplier: -0.5 })).toBe('f.yaml: tiers.t.multiplier: cannot be negative');
  });

  it("read overrides as partial rates in the book's unit", () => {
    expect(tier({ overrides: { m: { output: 8 } } }).overrides).toEqual(new Map([['m', { output: 8_000_000n }]]));
    expect(tier({ overrides: { m: { input: '0.000002' } } }, { unit: 'per_token' }).overrides.get('m')).toEqual({
      inputUncached: 2_000_000n,
    });
  });

  it('refuse overrides that are not a mapping of model to rates, naming the tier and model', () => {
    expect(tierRefusal({ overrides: ['m'] })).toBe(
      'f.yaml: tiers.t.overrides: expected a mapping of model name to rates'
    );
    expect(tierRefusal({ overrides: { m: 8 } })).toBe('f.yaml: tiers.t.overrides.m: expected a mapping of rates');
    expect(tierRefusal({ overrides: { m: { outptu: 8 } } })).toBe(
      'f.yaml: tiers.t.overrides.m.outptu: unknown rate; expected one of input, cache_read, cache_write, cache_write_1h, output, reasoning, input_audio, input_image, input_video, output_audio, output_image'
    );
  });

  it("warn about an override rate finer than one pico-USD per token, in the book's warnings", () => {
    const book = read({
      ...oneModel({ input: 1, output: 1 }),
      tiers: { t: { overrides: { m: { input: '0.0000004' } } } },
    });
    expect(book.warnings).toEqual([
      'f.yaml: tiers.t.overrides.m.input: 0.0000004 USD per 1,000,000 tokens is finer than one pico-USD (1e-12 USD) per token; rounded to 0 pico-USD per token',
    ]);
  });
});

describe('pricing dimensions: what a period refuses, naming where', () => {
  const base = { input: 1, output: 1 };
  const at = 'f.yaml: models.m.prices[0]';
  it.each<[string, Record<string, unknown>, string]>([
    [
      'long_context not a list',
      { long_context: { above_input_tokens: 1 } },
      `${at}.long_context: expected a list of {above_input_tokens, input, ...}`,
    ],
    ['a long_context tier not a mapping', { long_context: [3] }, `${at}.long_context[0]: expected a mapping`],
    [
      'a threshold that is not a number',
      { long_context: [{ above_input_tokens: '200k', input: 2 }] },
      `${at}.long_context[0].above_input_tokens: expected a whole number of tokens, got "200k"`,
    ],
    [
      'a fractional threshold',
      { long_context: [{ above_input_tokens: 1.5, input: 2 }] },
      `${at}.long_context[0].above_input_tokens: expected a whole number of tokens, got 1.5`,
    ],
    [
      'a negative threshold',
      { long_context: [{ above_input_tokens: -1, input: 2 }] },
      `${at}.long_context[0].above_input_tokens: expected a whole number of tokens, got -1`,
    ],
    [
      'service_tiers not a mapping',
      { service_tiers: ['flex'] },
      `${at}.service_tiers: expected a mapping of service tier to rates`,
    ],
    [
      'a service tier not a mapping',
      { service_tiers: { flex: 0.5 } },
      `${at}.service_tiers.flex: expected rates, long_context and/or a multiplier`,
    ],
    [
      'a multiplier that is not a number',
      { service_tiers: { flex: { multiplier: 'half' } } },
      `${at}.service_tiers.flex.multiplier: expected a decimal number, got "half"`,
    ],
    ['a negative multiplier', { speed: { fast: -2 } }, `${at}.speed.fast: cannot be negative`],
    ['speed not a mapping', { speed: 6 }, `${at}.speed: expected a mapping of name to multiplier`],
    ['fees not a mapping', { fees: 10 }, `${at}.fees: expected a mapping of fees`],
    [
      'an unknown fee',
      { fees: { image_gen: { per_1k: 1 } } },
      `${at}.fees.image_gen: unknown fee; expected web_search, maps_grounding, file_search, code_interpreter`,
    ],
    [
      'web_search not a mapping',
      { fees: { web_search: 10 } },
      `${at}.fees.web_search: expected {per_1k: USD per 1,000, per: query | prompt}`,
    ],
    [
      'an unknown key of web_search',
      { fees: { web_search: { per_1k: 10, per_call: 1 } } },
      `${at}.fees.web_search.per_call: unknown key; expected per_1k, per`,
    ],
    [
      'web_search per something else',
      { fees: { web_search: { per_1k: 10, per: 'call' } } },
      `${at}.fees.web_search.per: expected query or prompt, got "call"`,
    ],
    [
      'an unknown search context size',
      { fees: { web_search: { per_1k: { huge: 50 } } } },
      `${at}.fees.web_search.per_1k.huge: unknown search context size; expected low, medium, high`,
    ],
    [
      'file_search without per_1k',
      { fees: { file_search: {} } },
      `${at}.fees.file_search: expected {per_1k: USD per 1,000 calls}`,
    ],
    [
      'file_search not a mapping',
      { fees: { file_search: 2.5 } },
      `${at}.fees.file_search: expected {per_1k: USD per 1,000 calls}`,
    ],
    [
      'code_interpreter without per_session',
      { fees: { code_interpreter: { per_1k: 1 } } },
      `${at}.fees.code_interpreter: expected {per_session: USD per session}`,
    ],
    [
      'code_interpreter not a mapping',
      { fees: { code_interpreter: 0.03 } },
      `${at}.fees.code_interpreter: expected {per_session: USD per session}`,
    ],
  ])('%s', (_, dimension, message) => {
    expect(refusal(oneModel({ ...base, ...dimension }))).toBe(message);
  });

  it('aliases must be a mapping of alias to a model of the book', () => {
    expect(refusal(oneModel(base, { aliases: ['m'] }))).toBe(
      'f.yaml: aliases: expected a mapping of alias to model name'
    );
    expect(refusal(oneModel(base, { aliases: { a: 'other' } }))).toBe(
      'f.yaml: aliases.a: expected the name of a model of this book, got "other"'
    );
    expect(refusal(oneModel(base, { aliases: { a: 3 } }))).toBe(
      'f.yaml: aliases.a: expected the name of a model of this book, got 3'
    );
  });
});
