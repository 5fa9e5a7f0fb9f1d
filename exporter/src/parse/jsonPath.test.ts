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
