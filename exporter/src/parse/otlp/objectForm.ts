/**
 * Reading an OTLP request in its object form: the OTLP JSON encoding (opentelemetry-proto
 * docs/specification.md "JSON Protobuf Encoding": lowerCamelCase keys, 64-bit integers as decimal strings or
 * numbers, enums as numbers, trace and span ids as hex, other bytes as base64), which is also what a decoded
 * protobuf body is turned into (request.ts), trace and span ids aside. Unknown keys are ignored, as the
 * specification requires; a known key holding the wrong kind of value makes the whole body undecodable.
 */

/** The whole request cannot be read: answered 400, nothing of it stored. */
export class OtlpDecodeError extends Error {}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A repeated field: absent is empty (proto3 omits empty lists). */
export function listAt(o: Record<string, unknown>, key: string, where: string): unknown[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new OtlpDecodeError(`${where}.${key}: expected an array`);
  return v;
}

/** A message field: absent is undefined. */
export function messageAt(o: Record<string, unknown>, key: string, where: string): Record<string, unknown> | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new OtlpDecodeError(`${where}.${key}: expected an object`);
  return v;
}

/** Each element of a repeated message field, with the path that names it in messages. */
export function messagesAt(
  o: Record<string, unknown>,
  key: string,
  where: string
): [Record<string, unknown>, string][] {
  return listAt(o, key, where).map((item, i) => {
    const at = `${where}.${key}[${i}]`;
    if (!isObject(item)) throw new OtlpDecodeError(`${at}: expected an object`);
    return [item, at];
  });
}

const UNSIGNED = /^\d+$/;
const SIGNED = /^-?\d+$/;

/**
 * A 64-bit integer as its decimal text. JSON may write it as a number (proto3 JSON accepts either); one beyond
 * 2^53 was already rounded by the sender's or our JSON parser, and is taken as the integer it now is.
 */
function integerText(v: unknown): unknown {
  return typeof v === 'number' && Number.isInteger(v) ? BigInt(v).toString() : v;
}

/**
 * A fixed64 time in nanoseconds since the epoch, as text (a string, or a number in JSON); undefined when absent
 * or 0, which OTLP uses for "unknown".
 */
export function unixNanoAt(o: Record<string, unknown>, key: string, where: string): bigint | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  const text = integerText(v);
  if (typeof text !== 'string' || !UNSIGNED.test(text) || BigInt(text) >= 1n << 64n)
    throw new OtlpDecodeError(`${where}.${key}: expected nanoseconds since the epoch (a fixed64)`);
  const ns = BigInt(text);
  return ns === 0n ? undefined : ns;
}

/** Epoch milliseconds, fractional (the parser rounds), of a time in nanoseconds. */
export function nanosToMs(ns: bigint): number {
  return Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6;
}

/** How a request's trace and span ids are written: hex in OTLP JSON, base64 once a protobuf body is in object form. */
export type IdEncoding = 'hex' | 'base64';

const HEX = /^(?:[0-9a-f]{2})*$/i;

/** A trace or span id as lower-case hex; undefined when absent or empty. */
export function idAt(o: Record<string, unknown>, key: string, where: string, ids: IdEncoding): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new OtlpDecodeError(`${where}.${key}: expected an id as a string`);
  if (ids === 'base64') return Buffer.from(v, 'base64').toString('hex');
  if (!HEX.test(v)) throw new OtlpDecodeError(`${where}.${key}: expected an id in hex`);
  return v.toLowerCase();
}

/** An int64 as a JavaScript value: a number when it is exact, else its decimal text (never rounded). */
function int64Value(v: unknown, where: string): number | string {
  const text = integerText(v);
  if (typeof text !== 'string' || !SIGNED.test(text)) throw new OtlpDecodeError(`${where}: expected an int64`);
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

/** proto3 JSON writes non-finite doubles as these strings. */
const DOUBLE_WORDS = new Set(['NaN', 'Infinity', '-Infinity']);

/**
 * An AnyValue as the plain value it stands for: a kvlist is an object, an array an array, an int a number
 * (its text beyond 2^53), bytes their base64 text; an AnyValue with no value set is null.
 */
export function plainValue(any: unknown, where: string): unknown {
  if (!isObject(any)) throw new OtlpDecodeError(`${where}: expected an AnyValue object`);
  if ('stringValue' in any) {
    if (typeof any.stringValue !== 'string') throw new OtlpDecodeError(`${where}.stringValue: expected a string`);
    return any.stringValue;
  }
  if ('boolValue' in any) {
    if (typeof any.boolValue !== 'boolean') throw new OtlpDecodeError(`${where}.boolValue: expected a boolean`);
    return any.boolValue;
  }
  if ('intValue' in any) return int64Value(any.intValue, `${where}.intValue`);
  if ('doubleValue' in any) {
    const d = any.doubleValue;
    if (typeof d === 'number') return d;
    if (typeof d === 'string' && (DOUBLE_WORDS.has(d) || Number.isFinite(Number(d)))) return d;
    throw new OtlpDecodeError(`${where}.doubleValue: expected a number`);
  }
  if ('arrayValue' in any) {
    const list = isObject(any.arrayValue) ? any.arrayValue : {};
    return listAt(list, 'values', `${where}.arrayValue`).map((item, i) =>
      plainValue(item, `${where}.arrayValue.values[${i}]`)
    );
  }
  if ('kvlistValue' in any) {
    const list = isObject(any.kvlistValue) ? any.kvlistValue : {};
    return attributeObject(list, 'values', `${where}.kvlistValue`);
  }
  if ('bytesValue' in any) {
    if (typeof any.bytesValue !== 'string') throw new OtlpDecodeError(`${where}.bytesValue: expected base64 text`);
    return any.bytesValue;
  }
  return null;
}

/**
 * A repeated KeyValue field (attributes, a kvlist's values) as an object; a key written twice keeps its first
 * value. The object has no prototype, so a key such as `__proto__` is a key like any other.
 */
export function attributeObject(o: Record<string, unknown>, key: string, where: string): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>;
  for (const [kv, at] of messagesAt(o, key, where)) {
    const name = kv.key ?? '';
    if (typeof name !== 'string') throw new OtlpDecodeError(`${at}.key: expected a string`);
    if (name in out) continue;
    out[name] = kv.value === undefined || kv.value === null ? null : plainValue(kv.value, `${at}.value`);
  }
  return out;
}
