import { compilePath, formatPath, getPath } from './jsonPath';

describe('JSON paths', () => {
  it('walks nested objects', () => {
    expect(
      getPath({ ai: { proxy: { usage: { prompt_tokens: 5 } } } }, compilePath('ai.proxy.usage.prompt_tokens'))
    ).toBe(5);
  });

  it('finds a literal dotted key with the same path syntax', () => {
    expect(getPath({ 'gen_ai.usage.input_tokens': 15 }, compilePath('gen_ai.usage.input_tokens'))).toBe(15);
  });

  it('finds a literal dotted key below a nested one', () => {
    expect(getPath({ log: { 'gen_ai.request.model': 'gpt-4o' } }, compilePath('log.gen_ai.request.model'))).toBe(
      'gpt-4o'
    );
  });

  it('falls back to the nested form when the literal key is absent', () => {
    expect(getPath({ gen_ai: { usage: { input_tokens: 3 } } }, compilePath('gen_ai.usage.input_tokens'))).toBe(3);
  });

  it('forces a literal segment with brackets', () => {
    const path = compilePath('attrs["a.b"].c');
    expect(getPath({ attrs: { 'a.b': { c: 1 }, a: { b: { c: 2 } } } }, path)).toBe(1);
    expect(formatPath(path)).toBe('attrs.["a.b"].c');
  });

  it('returns undefined through arrays, scalars and missing keys', () => {
    expect(getPath({ a: [1] }, compilePath('a.b'))).toBeUndefined();
    expect(getPath({ a: 1 }, compilePath('a.b'))).toBeUndefined();
    expect(getPath(null, compilePath('a'))).toBeUndefined();
  });

  it.each(['', 'a..b', 'a[b]', 'a["x"'])('rejects the malformed path %p', (p) => {
    expect(() => compilePath(p)).toThrow(/path/);
  });
});

describe('JSON paths: literal segments', () => {
  it('takes single quotes and blanks inside the brackets, and one literal after another', () => {
    const path = compilePath(`attributes[ 'gen_ai.usage.input_tokens' ]`);
    expect(getPath({ attributes: { 'gen_ai.usage.input_tokens': 15 } }, path)).toBe(15);
    expect(formatPath(path)).toBe('attributes.["gen_ai.usage.input_tokens"]');
    const twice = compilePath('["a.b"]["c.d"]');
    expect(getPath({ 'a.b': { 'c.d': 2 } }, twice)).toBe(2);
    expect(formatPath(twice)).toBe('["a.b"].["c.d"]');
  });

  it('names a path as written: dots between plain parts, brackets only around a dotted literal', () => {
    expect(formatPath(compilePath('metadata.user_api_key_alias'))).toBe('metadata.user_api_key_alias');
    expect(formatPath(compilePath('["gen_ai.request.model"]'))).toBe('["gen_ai.request.model"]');
  });

  it.each(['a["x"b', 'a[x"y"]', 'a["x"y]', "a[x'y']", "a['x'y]"])('rejects the malformed literal %p', (p) => {
    expect(() => compilePath(p)).toThrow(/bad JSON path/);
  });
});

describe('JSON paths: what is not a field', () => {
  it('falls back to the nested form when the literal dotted key leads nowhere', () => {
    expect(getPath({ 'a.b': {}, a: { b: { c: 1 } } }, compilePath('a.b.c'))).toBe(1);
  });

  it('finds nothing inside a string, nor in inherited properties, nor under a key named undefined', () => {
    expect(getPath({ usage: 'prompt' }, compilePath('usage.length'))).toBeUndefined();
    expect(getPath({}, compilePath('constructor'))).toBeUndefined();
    expect(getPath({ a: {} }, compilePath('a.toString'))).toBeUndefined();
    expect(getPath({ undefined: { x: 5 } }, compilePath('x'))).toBeUndefined();
  });
});
