import fc from 'fast-check';
import { jsonRecords } from './jsonRecords';
import { PushRequestError } from './pushErrors';

const MAX = 1 << 20;
const texts = (body: string | Buffer, max = MAX) =>
  jsonRecords(typeof body === 'string' ? Buffer.from(body) : body, max).map((t) => t.text);

describe('jsonRecords', () => {
  it("takes a JSON array's elements as they are written, with their line and byte offset", () => {
    // Python's json.dumps separators, as LiteLLM's safe_dumps writes its json_array batches.
    const body = '[{"id": "a", "s": "x, ] } [ \\" y"}, null,\n  {"id": "b", "n": [1, [2]]}]\n';
    const out = jsonRecords(Buffer.from(body), MAX);
    expect(out.map((t) => t.text)).toEqual([
      '{"id": "a", "s": "x, ] } [ \\" y"}',
      'null',
      '{"id": "b", "n": [1, [2]]}',
    ]);
    expect(out.map((t) => [t.line, t.startOffset, t.endOffset])).toEqual([
      [1, 1, 34],
      [1, 36, 40],
      [2, body.indexOf('{"id": "b"'), body.lastIndexOf(']')],
    ]);
  });

  it('gives any array of JSON values back element by element', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue()), fc.constantFrom('', ' ', '\n', ' \n  '), (values, space) => {
        const body = `${space}[${space}${values.map((v) => JSON.stringify(v, null, space ? 1 : undefined)).join(`${space},${space}`)}${space}]${space}`;
        expect(texts(body).map((t) => JSON.parse(t) as unknown)).toEqual(
          values.map((v) => JSON.parse(JSON.stringify(v)))
        );
      })
    );
  });

  it('reads NDJSON, with or without a newline after the last record, and a single (pretty-printed) object', () => {
    expect(texts('{"a":1}\n{"a":2}')).toEqual(['{"a":1}', '{"a":2}']);
    expect(texts('{"a":1}\n{"a":2}\n')).toEqual(['{"a":1}', '{"a":2}']);
    expect(texts('{\n  "a": 1\n}')).toEqual(['{\n  "a": 1\n}']);
    expect(texts('\ufeff{"a":1}')).toEqual(['{"a":1}']);
    // toStrictEqual: toEqual takes [undefined] for [].
    for (const body of ['', ' \n ', '\ufeff', '[]', ' [ ] '])
      expect(jsonRecords(Buffer.from(body), MAX)).toStrictEqual([]);
  });

  it('numbers lines from the top of the body, newlines before the array included', () => {
    const out = jsonRecords(Buffer.from('\r\n\n [\n{"a":1},\n\n{"a":2}]'), MAX);
    expect(out.map((t) => [t.line, t.text])).toEqual([
      [4, '{"a":1}'],
      [6, '{"a":2}'],
    ]);
  });

  it('refuses an array it cannot cut into elements, naming where', () => {
    const refused = (body: string) => {
      try {
        jsonRecords(Buffer.from(body), MAX);
      } catch (e) {
        expect(e).toBeInstanceOf(PushRequestError);
        return `${(e as PushRequestError).status} ${(e as Error).message}`;
      }
      throw new Error(`${body} was taken`);
    };
    expect(refused('[{"a":1},{"a":2}')).toBe('400 the JSON array is cut short (no closing bracket)');
    expect(refused('[{"a":"]"}')).toBe('400 the JSON array is cut short (no closing bracket)');
    expect(refused('[{"a":1}] x')).toBe('400 the body goes on after its JSON array, at byte 10');
    expect(refused('[{"a":1},]')).toBe('400 the JSON array has an empty element before byte 9');
    expect(refused('[,{"a":1}]')).toBe('400 the JSON array has an empty element before byte 1');
    expect(refused('[{"a":1}}]')).toBe('400 the JSON array is not well formed at byte 8');
  });

  it('marks an element longer than the longest record, or not UTF-8, for the parser to refuse', () => {
    const [long, short] = jsonRecords(Buffer.from(`[{"a":"${'x'.repeat(50)}"},{"a":1}]`), 40);
    expect(long).toMatchObject({ tooLong: true, text: '', startOffset: 1 });
    expect(short).toMatchObject({ tooLong: false, text: '{"a":1}' });
    // Exactly the longest record: taken.
    expect(jsonRecords(Buffer.from('[{"a":1},{"a":12}]'), 7).map((t) => [t.text, t.tooLong])).toEqual([
      ['{"a":1}', false],
      ['', true],
    ]);
    expect(jsonRecords(Buffer.from('[{"a":12}]'), 8)).toStrictEqual([
      { line: 1, startOffset: 1, endOffset: 9, text: '{"a":12}', tooLong: false },
    ]);
    const body = Buffer.concat([Buffer.from('[{"a":1},{"a":"'), Buffer.from([0xff]), Buffer.from('"}]')]);
    const [, bad] = jsonRecords(body, MAX);
    expect(bad).toStrictEqual({ line: 1, startOffset: 9, endOffset: 18, text: '', tooLong: false, invalidUtf8At: 15 });
  });
});
