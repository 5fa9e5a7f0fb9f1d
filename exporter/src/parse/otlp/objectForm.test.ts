import {
  attributeObject,
  idAt,
  messageAt,
  messagesAt,
  nanosToMs,
  OtlpDecodeError,
  plainValue,
  unixNanoAt,
} from './objectForm';
import { otlpRefusal } from '../../../test/otlpRefusal';

describe('plainValue: an AnyValue as the value it stands for', () => {
  it.each([
    [{ stringValue: 'a' }, 'a'],
    [{ stringValue: '' }, ''],
    [{ boolValue: false }, false],
    [{ intValue: '42' }, 42],
    [{ intValue: -7 }, -7],
    [{ intValue: '9007199254740993' }, '9007199254740993'], // beyond 2^53: its text, not a rounded number
    [{ doubleValue: 0.5 }, 0.5],
    [{ doubleValue: 'NaN' }, 'NaN'],
    [{ doubleValue: '2.5' }, '2.5'], // a double written as text stays text, as the parser reads numbers in text
    [{ bytesValue: 'AAE=' }, 'AAE='],
    [{}, null],
    [{ arrayValue: { values: [{ intValue: '1' }, { stringValue: 'x' }, {}] } }, [1, 'x', null]],
    [{ arrayValue: {} }, []],
    [{ arrayValue: { values: null } }, []],
  ])('%j is %j', (any, value) => {
    expect(plainValue(any, 'v')).toEqual(value);
  });

  it('a kvlist is an object, nested as deep as it goes', () => {
    const any = {
      kvlistValue: {
        values: [
          { key: 'usage', value: { kvlistValue: { values: [{ key: 'prompt_tokens', value: { intValue: '12' } }] } } },
          { key: 'model', value: { stringValue: 'gpt-4o' } },
          { key: 'empty' },
        ],
      },
    };
    expect(plainValue(any, 'body')).toEqual({ usage: { prompt_tokens: 12 }, model: 'gpt-4o', empty: null });
  });

  it('a key written twice keeps its first value, and __proto__ is an ordinary key', () => {
    const o = attributeObject(
      {
        attributes: [
          { key: 'a', value: { intValue: '1' } },
          { key: 'a', value: { intValue: '2' } },
          { key: '__proto__', value: { kvlistValue: { values: [{ key: 'polluted', value: { boolValue: true } }] } } },
        ],
      },
      'attributes',
      'span'
    );
    expect(o.a).toBe(1);
    expect(JSON.parse(JSON.stringify(o))).toEqual(JSON.parse('{"a":1,"__proto__":{"polluted":true}}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    [{ stringValue: 1 }, 'v.stringValue: expected a string'],
    [{ intValue: '1e3' }, 'v.intValue: expected an int64'],
    [{ intValue: 1.5 }, 'v.intValue: expected an int64'],
    [{ boolValue: 'true' }, 'v.boolValue: expected a boolean'],
    [{ doubleValue: 'fast' }, 'v.doubleValue: expected a number'],
    [{ doubleValue: true }, 'v.doubleValue: expected a number'],
    [{ arrayValue: { values: 'x' } }, 'v.arrayValue.values: expected an array'],
    [{ arrayValue: { values: [3] } }, 'v.arrayValue.values[0]: expected an AnyValue object'],
    ['text', 'v: expected an AnyValue object'],
  ])('refuses %j: %s', (any, message) => {
    expect(() => plainValue(any, 'v')).toThrow(new OtlpDecodeError(message));
  });
});

describe('times and ids', () => {
  it('reads fixed64 nanoseconds as text or number; 0 is unknown', () => {
    expect(unixNanoAt({ t: '1764600000123456789' }, 't', 's')).toBe(1764600000123456789n);
    expect(unixNanoAt({ t: 1000 }, 't', 's')).toBe(1000n);
    expect(unixNanoAt({ t: '0' }, 't', 's')).toBeUndefined();
    expect(unixNanoAt({}, 't', 's')).toBeUndefined();
    for (const bad of ['-1', '18446744073709551616', 'soon', 1.5])
      expect(() => unixNanoAt({ t: bad }, 't', 's')).toThrow(OtlpDecodeError);
  });

  it('turns nanoseconds into fractional milliseconds without losing the millisecond', () => {
    expect(nanosToMs(1764600000123456789n)).toBeCloseTo(1764600000123.4568, 3);
    expect(Math.round(nanosToMs(1764600000123500000n))).toBe(1764600000124);
    expect(nanosToMs(999_999n)).toBe(0.999999);
  });

  it('reads ids as hex (JSON) or base64 (a decoded protobuf), lower-cased', () => {
    const id = '5b8efff798038103d269b633813fc60c';
    expect(idAt({ i: id.toUpperCase() }, 'i', 's', 'hex')).toBe(id);
    expect(idAt({ i: Buffer.from(id, 'hex').toString('base64') }, 'i', 's', 'base64')).toBe(id);
    expect(idAt({ i: '' }, 'i', 's', 'hex')).toBeUndefined();
    expect(() => idAt({ i: 'xyz0' }, 'i', 's', 'hex')).toThrow('s.i: expected an id in hex');
  });
});

describe('what OTLP JSON may leave out, and what it may not hold', () => {
  const refusal = otlpRefusal;

  it('a message or a list left out or null is none', () => {
    expect(messageAt({ status: null }, 'status', 's')).toBeUndefined();
    expect(messageAt({}, 'status', 's')).toBeUndefined();
    expect(messagesAt({ spans: null }, 'spans', 's')).toEqual([]);
  });

  it('a message that is not an object is refused by its place', () => {
    expect(refusal(() => messageAt({ status: [] }, 'status', 'span'))).toBe('span.status: expected an object');
    expect(refusal(() => messageAt({ status: 'ok' }, 'status', 'span'))).toBe('span.status: expected an object');
    expect(refusal(() => messagesAt({ spans: [{}, 3] }, 'spans', 's'))).toBe('s.spans[1]: expected an object');
  });

  it('times: null or 0 is none; a fraction, an array or a text not a number is refused as a decode error', () => {
    expect(unixNanoAt({ t: null }, 't', 's')).toBeUndefined();
    for (const t of [1.5, [5], 'abc', true])
      expect(refusal(() => unixNanoAt({ t }, 't', 's'))).toBe('s.t: expected nanoseconds since the epoch (a fixed64)');
  });

  it('ids: null, left out or empty is none; one not text is refused as such', () => {
    for (const traceId of [null, undefined, '']) expect(idAt({ traceId }, 'traceId', 's', 'hex')).toBeUndefined();
    expect(refusal(() => idAt({ traceId: 5 }, 'traceId', 's', 'hex'))).toBe('s.traceId: expected an id as a string');
  });

  it('values: an int64 in an array, bytes not text, a key not text are refused naming the place', () => {
    expect(refusal(() => plainValue({ intValue: [5] }, 'v'))).toBe('v.intValue: expected an int64');
    expect(refusal(() => plainValue({ bytesValue: 5 }, 'v'))).toBe('v.bytesValue: expected base64 text');
    expect(refusal(() => attributeObject({ attrs: [{ key: 5 }] }, 'attrs', 'w'))).toBe(
      'w.attrs[0].key: expected a string'
    );
    expect(
      refusal(() => plainValue({ kvlistValue: { values: [{ key: 'a', value: { boolValue: 'yes' } }] } }, 'v'))
    ).toBe('v.kvlistValue.values[0].value.boolValue: expected a boolean');
  });

  it('an attribute without a key is the empty key; one with a null value is null', () => {
    expect({
      ...attributeObject({ attrs: [{ value: { stringValue: 'x' } }, { key: 'a', value: null }] }, 'attrs', 'w'),
    }).toEqual({
      '': 'x',
      a: null,
    });
  });
});
