import fc from 'fast-check';
import { BODY_MEMBERS } from '../subject';
import { readTopLevelFields, TopLevelScalar } from './topLevelFields';

const read = (text: string, names: readonly string[] = BODY_MEMBERS) => {
  const fields = readTopLevelFields(Buffer.from(text), names);
  return fields && { ...fields };
};

/** The model: what JSON.parse makes of the text, its scalar members called `names` only. */
function scalarsOf(text: string, names: readonly string[]): Record<string, TopLevelScalar> {
  const parsed = JSON.parse(text) as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(parsed).filter(([k, v]) => names.includes(k) && (v === null || typeof v !== 'object'))
  ) as Record<string, TopLevelScalar>;
}

const isAscii = (s: string): boolean => [...s].every((c) => c.charCodeAt(0) < 0x80);

/**
 * JSON objects as a gateway may forward them (any members, nested values of any shape, compact or indented,
 * names that need escapes), and names to read: some of its own (ASCII ones, as a decision's are) and some not.
 */
const cases = fc
  .tuple(
    fc.dictionary(fc.string({ unit: 'binary' }), fc.jsonValue()),
    fc.constantFrom(undefined, 0, 2, '\t'),
    fc.array(fc.string(), { maxLength: 3 })
  )
  .chain(([o, indent, absent]) =>
    fc.subarray(Object.keys(o).filter((k) => isAscii(k))).map((own) => ({
      text: JSON.stringify(o, null, indent),
      names: [...own, ...absent.filter((k) => isAscii(k))],
    }))
  );

describe('readTopLevelFields', () => {
  it('reads the named scalar members JSON.parse reads, of any object', () => {
    fc.assert(
      fc.property(cases, ({ text, names }) => expect(read(text, names)).toEqual(scalarsOf(text, names))),
      { numRuns: 500 }
    );
  });

  it('of a body cut at any byte, reads only members that are whole, with their whole values', () => {
    fc.assert(
      fc.property(cases, fc.nat(), ({ text, names }, at) => {
        const whole = scalarsOf(text, names);
        const bytes = Buffer.from(text);
        const cut = readTopLevelFields(bytes.subarray(0, at % (bytes.length + 1)), names);
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
    expect(read(body.slice(0, 2000))).toEqual({ model: 'gpt-4o', user: 'ann' });
    expect(read(body)).toEqual({ model: 'gpt-4o', user: 'ann', max_tokens: 1024 });
    expect(read(body.slice(0, -3))).toEqual({ model: 'gpt-4o', user: 'ann' }); // "max_tokens":1
    expect(read('{"model": "gpt-4')).toEqual({});
    expect(read('{"stream": true, "user": "a", "model": nul')).toEqual({ user: 'a' });
  });

  it('steps over strings that hold brackets, quotes, backslashes and any UTF-8 inside other members', () => {
    const body =
      '{"messages":[{"content":"} ] \\" \\\\"},"{[\\\\\\""],"prompt":"zoë \\"}\\\\","model":"m\\u002d1","max_tokens":-1.5e+3,"user":"zoë"}';
    expect(read(body)).toEqual(scalarsOf(body, BODY_MEMBERS));
    expect(read(body)).toEqual({ model: 'm-1', max_tokens: -1500, user: 'zoë' });
    // A name written with escapes is the name.
    expect(read('{"\\u006dodel":"m1"}')).toEqual({ model: 'm1' });
  });

  it('keeps the last of a repeated member, as JSON.parse does, a nested one included', () => {
    expect(read('{"model":"a","model":"b"}')).toEqual({ model: 'b' });
    expect(read('{"model":"a","model":{"name":"b"}}')).toEqual({});
  });

  it('makes a record that inherits nothing: a member named __proto__ is a member', () => {
    const fields = readTopLevelFields(Buffer.from('{"__proto__":"x","model":"m"}'), ['__proto__', 'model'])!;
    expect('toString' in fields).toBe(false);
    expect(Object.keys(fields)).toEqual(['__proto__', 'model']);
  });

  it('is undefined for what is not an object, and stops at what is not JSON', () => {
    for (const text of ['', '[1]', '"model"', '42', 'model=m1', '  ']) expect(read(text)).toBeUndefined();
    expect(readTopLevelFields(undefined, BODY_MEMBERS)).toBeUndefined();
    expect(read(' {} ')).toEqual({});
    expect(read('{"model":"m1", max_tokens: 5}')).toEqual({ model: 'm1' });
    expect(read('{"model":"m1" "user":"ann"}')).toEqual({});
    expect(read('{"max_tokens":01}')).toEqual({});
    expect(read('{"max_tokens":1x,"model":"m"}')).toEqual({});
    expect(read('{"model":"\\x"}')).toEqual({});
    expect(read('{"user":tru,"model":"m"}')).toEqual({});
  });
});
