import fc from 'fast-check';
import { readTopLevelFields, TopLevelScalar } from './topLevelFields';

/** The model: what JSON.parse makes of the text, its scalar members only. */
function scalarsOf(text: string): Record<string, TopLevelScalar> {
  const parsed = JSON.parse(text) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(parsed).filter(([, v]) => v === null || typeof v !== 'object')) as Record<
    string,
    TopLevelScalar
  >;
}

/** JSON objects as a gateway may forward them: any members, nested values of any shape, compact or indented. */
const objectTexts = fc
  .tuple(fc.dictionary(fc.string(), fc.jsonValue()), fc.constantFrom(undefined, 0, 2, '\t'))
  .map(([o, indent]) => JSON.stringify(o, null, indent));

describe('readTopLevelFields', () => {
  it('reads the scalar members JSON.parse reads, of any object', () => {
    fc.assert(
      fc.property(objectTexts, (text) => expect({ ...readTopLevelFields(text) }).toEqual(scalarsOf(text))),
      {
        numRuns: 500,
      }
    );
  });

  it('of a body cut anywhere, reads only members that are whole, with their whole values', () => {
    fc.assert(
      fc.property(objectTexts, fc.nat(), (text, at) => {
        const whole = scalarsOf(text);
        const cut = readTopLevelFields(text.slice(0, at % (text.length + 1)));
        for (const [name, value] of Object.entries(cut ?? {})) expect([name, value]).toEqual([name, whole[name]]);
      }),
      { numRuns: 500 }
    );
  });

  it('keeps the members read before a cut inside the prompt, and not one cut short', () => {
    const body = JSON.stringify({
      model: 'gpt-4o',
      user: 'ann',
      messages: [{ role: 'user', content: 'x'.repeat(5000) }],
      max_tokens: 1024,
    });
    expect({ ...readTopLevelFields(body.slice(0, 2000)) }).toEqual({ model: 'gpt-4o', user: 'ann' });
    expect({ ...readTopLevelFields(body) }).toEqual({ model: 'gpt-4o', user: 'ann', max_tokens: 1024 });
    expect({ ...readTopLevelFields(body.slice(0, -3)) }).toEqual({ model: 'gpt-4o', user: 'ann' }); // "max_tokens":1
    expect({ ...readTopLevelFields('{"model": "gpt-4') }).toEqual({});
    expect({ ...readTopLevelFields('{"stream": tru') }).toEqual({});
  });

  it('steps over strings that hold brackets, quotes and backslashes inside nested values', () => {
    const body = '{"messages":[{"content":"} ] \\" \\\\"},"{[\\\\\\""],"model":"m\\u002d1","n":-1.5e+3}';
    expect({ ...readTopLevelFields(body) }).toEqual(scalarsOf(body));
    expect(readTopLevelFields(body)!.model).toBe('m-1');
  });

  it('keeps the last of a repeated member, as JSON.parse does, a nested one included', () => {
    expect({ ...readTopLevelFields('{"model":"a","model":"b"}') }).toEqual({ model: 'b' });
    expect({ ...readTopLevelFields('{"model":"a","model":{"name":"b"}}') }).toEqual({});
  });

  it('makes a record that inherits nothing: a member named __proto__ is a member', () => {
    const fields = readTopLevelFields('{"__proto__":"x","model":"m"}')!;
    expect('toString' in fields).toBe(false);
    expect(Object.keys(fields)).toEqual(['__proto__', 'model']);
  });

  it('is undefined for what is not an object, and stops at what is not JSON', () => {
    for (const text of [undefined, '', '[1]', '"model"', '42', 'model=m1', '  '])
      expect(readTopLevelFields(text)).toBeUndefined();
    expect({ ...readTopLevelFields(' {} ') }).toEqual({});
    expect({ ...readTopLevelFields('{"model":"m1", max_tokens: 5}') }).toEqual({ model: 'm1' });
    expect({ ...readTopLevelFields('{"model":"m1" "user":"ann"}') }).toEqual({});
    expect({ ...readTopLevelFields('{"n":01}') }).toEqual({});
    expect({ ...readTopLevelFields('{"a":"\\x"}') }).toEqual({});
  });
});
