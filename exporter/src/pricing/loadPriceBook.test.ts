import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPriceBookFile, loadPriceBooks } from './loadPriceBook';
import { PriceBookError } from './priceBook';
import { Pricer } from './pricer';
import { DEFAULT_PRICING_EXTRAS, NO_TOKENS, NO_TOOL_CALLS } from '../types';

const dir = mkdtempSync(join(tmpdir(), 'tl-load-'));
let n = 0;
const file = (content: string): string => {
  const p = join(dir, `book-${n++}`);
  writeFileSync(p, content);
  return p;
};
const refusal = (content: string): string => {
  const p = file(content);
  try {
    loadPriceBookFile(p);
  } catch (e) {
    if (e instanceof PriceBookError) return e.message.replace(p, 'FILE');
    throw e;
  }
  throw new Error('expected a PriceBookError');
};

describe('loadPriceBookFile', () => {
  it('reads our format from YAML, and from JSON with leading blank lines', () => {
    expect(
      loadPriceBookFile(file('models:\n  m:\n    prices:\n      - { input: 1, output: 2 }\n')).models.get('m')![0]!
        .rates.output
    ).toBe(2_000_000n);
    expect(
      loadPriceBookFile(file('\n  {"models": {"m": {"prices": [{"input": 1, "output": 3}]}}}')).models.get('m')![0]!
        .rates.output
    ).toBe(3_000_000n);
  });

  it("reads LiteLLM's map, from the configured time, when any entry has input_cost_per_token", () => {
    const book = loadPriceBookFile(
      file('{"sample_spec": "x", "m": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6}}'),
      86_400_000
    );
    expect(book.models.get('m')).toEqual([
      {
        effectiveFromMs: 86_400_000,
        rates: { inputUncached: 1_000_000n, output: 2_000_000n },
      },
    ]);
  });

  it.each([
    ['a JSON list', '[{"models": {}}]'],
    ['a YAML scalar', 'hello\n'],
    ['an empty file', ''],
  ])('refuses %s: the top level must be a mapping', (_name, content) => {
    expect(refusal(content)).toBe('FILE: expected a mapping at the top level');
  });

  it.each([
    ['no entry is priced', '{"m": {"mode": "chat"}}'],
    ['an entry is null', '{"m": null}'],
    ['entries are not objects', 'm: 3\n'],
  ])('refuses a mapping that is neither format (%s)', (_name, content) => {
    expect(refusal(content)).toBe(
      'FILE: not a price book: expected a top-level "models" key (TokenLedger format) or LiteLLM entries with input_cost_per_token'
    );
  });

  it('reads a file that starts with { or [ (after blanks) strictly as JSON, giving line and column, never the text', () => {
    // "2" is at offset 15: line 2 (after one newline), column 15 - 8 = 7.
    expect(refusal('{"a": 1,\n  "b" 2}')).toBe('FILE: not valid JSON: Unexpected number at line 2, column 7');
    expect(refusal('{"a": 1}\n')).toBe(
      'FILE: not a price book: expected a top-level "models" key (TokenLedger format) or LiteLLM entries with input_cost_per_token'
    );
    expect(refusal('\n  [1,]')).toBe("FILE: not valid JSON: Unexpected token ']'");
    expect(refusal('{"secret-model": 1')).toBe(
      "FILE: not valid JSON: Expected ',' or '}' after property value at line 1, column 19"
    );
  });

  it('gives the first line of a YAML error', () => {
    expect(refusal('models: [\n  a: b\n')).toBe(
      'FILE: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 3, column 1:'
    );
  });

  it('names a file it cannot read', () => {
    const missing = join(dir, 'missing.yaml');
    expect(() => loadPriceBookFile(missing)).toThrow(
      new RegExp(`^${missing.replace(/[.]/g, '\\.')}: cannot read price book: ENOENT`)
    );
  });
});

describe('loadPriceBooks', () => {
  it('needs at least one file', () => {
    expect(() => loadPriceBooks([])).toThrow(new PriceBookError('no price book given'));
  });

  it('merges the books in order, the LiteLLM map from the configured time', () => {
    const ours = file('version: v1\nmodels:\n  m:\n    prices:\n      - { input: 1, output: 2 }\n');
    const litellm = file('{"l": {"input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6}}');
    const book = loadPriceBooks([ours, litellm], 5);
    expect(book.version).toMatch(/^v1\+litellm-[0-9a-f]{12}$/);
    expect([...book.models.keys()]).toEqual(['m', 'l']);
    expect(book.models.get('l')![0]!.effectiveFromMs).toBe(5);
  });
});

describe('examples/prices.yaml', () => {
  it('loads without warnings and prices the dimensions it shows', () => {
    const book = loadPriceBookFile(join(__dirname, '../../../examples/prices.yaml'));
    expect(book.warnings).toEqual([]);
    const pricer = new Pricer(book);
    const price = pricer.price({
      ...DEFAULT_PRICING_EXTRAS,
      model: 'claude-sonnet-4-5-20250929',
      provider: 'anthropic',
      tier: undefined,
      startMs: Date.parse('2025-06-01T00:00:00Z'),
      tokens: { ...NO_TOKENS, inputUncached: 1000, cacheWrite1h: 1000, output: 100 },
      toolCalls: { ...NO_TOOL_CALLS, webSearchQueries: 1 },
    });
    // 1,000 x 3e6 + 1,000 x 6e6 + 100 x 15e6 = 10,500,000,000; one search $10 / 1,000 = 10,000,000,000
    expect(price).toMatchObject({ costPusd: 20_500_000_000n, feePusd: 10_000_000_000n });
  });
});
