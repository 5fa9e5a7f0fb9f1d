import { bareRecord } from '../../bareRecord';

/**
 * Named top-level members of a forwarded request body, read from its bytes without parsing the rest. A decision
 * needs a few scalars of a chat request (`model`, `user`, `max_tokens` and its spellings); `JSON.parse` would
 * decode the whole body to a string and build the whole prompt (every message, every part of it) as objects and
 * strings on each request, to throw them away at once: ~170 KB allocated for a 64 KiB prompt (bench/README.md,
 * "Decisions"). Here every other member is stepped over in the bytes: a string by searching for its closing quote,
 * an object or array by counting brackets outside strings. Only the named members' values are decoded. The body
 * is not validated beyond what is read: the provider does that.
 */

/** A member's value when it is a scalar; an object or array is not kept. */
export type TopLevelScalar = string | number | boolean | null;

/** The bytes the reader looks for. */
const Byte = {
  Tab: 9,
  Newline: 10,
  Return: 13,
  Space: 32,
  Quote: 34,
  Comma: 44,
  Minus: 45,
  Zero: 48,
  Nine: 57,
  Colon: 58,
  OpenBracket: 91,
  Backslash: 92,
  CloseBracket: 93,
  OpenBrace: 123,
  CloseBrace: 125,
} as const;

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const LITERALS: readonly [string, TopLevelScalar][] = [
  ['true', true],
  ['false', false],
  ['null', null],
];

/** Thrown inside the reader where the body stops being JSON (or stops): the members read until then stand. */
class Stop extends Error {}
const STOP = new Stop();

/** A member's value stepped over: not one of the names, or an object or array. */
const SKIPPED = Symbol('skipped');

/**
 * The members called `names` (ASCII) of the JSON object in `body` whose values are scalars (a record that
 * inherits nothing; of a repeated name the last, as `JSON.parse` keeps it), or undefined when the body is not an
 * object. A body that stops being JSON part-way (one Envoy cut at `max_request_bytes` with
 * `allow_partial_message`) gives the members complete before that point: a value cut short (`"max_tokens": 10`
 * of `1024`) is never taken.
 */
export function readTopLevelFields(
  body: Buffer | undefined,
  names: readonly string[]
): Record<string, TopLevelScalar> | undefined {
  if (!body?.length) return undefined;
  const r = new MemberReader(body);
  r.skipSpace();
  if (r.peek() !== Byte.OpenBrace) return undefined;
  const fields = bareRecord<TopLevelScalar>();
  try {
    r.pos++;
    r.skipSpace();
    if (r.peek() === Byte.CloseBrace) return fields;
    for (;;) {
      const name = r.name(names);
      r.skipSpace();
      r.expect(Byte.Colon);
      r.skipSpace();
      const value = name === undefined ? r.skipValue() : r.value();
      // Only a value followed by what may follow it is whole: at the body's end a number may still go on.
      r.skipSpace();
      const next = r.peek();
      if (next !== Byte.Comma && next !== Byte.CloseBrace) throw STOP;
      if (name !== undefined) {
        if (value === SKIPPED) delete fields[name];
        else fields[name] = value;
      }
      r.pos++;
      if (next === Byte.CloseBrace) return fields;
      r.skipSpace();
    }
  } catch (e) {
    if (e instanceof Stop) return fields;
    throw e;
  }
}

class MemberReader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  /** The byte at the position; -1 past the end. */
  peek(): number {
    return this.pos < this.buf.length ? this.buf[this.pos]! : -1;
  }

  skipSpace(): void {
    for (;;) {
      const c = this.peek();
      if (c !== Byte.Space && c !== Byte.Newline && c !== Byte.Return && c !== Byte.Tab) return;
      this.pos++;
    }
  }

  expect(c: number): void {
    if (this.peek() !== c) throw STOP;
    this.pos++;
  }

  /** The member name at the position when it is one of `names`, else undefined; either way the position is past it. */
  name(names: readonly string[]): string | undefined {
    if (this.peek() !== Byte.Quote) throw STOP;
    const start = this.pos + 1;
    const end = this.stringEnd(this.pos);
    this.pos = end + 1;
    if (this.hasBackslash(start, end)) {
      const decoded = this.decode(start, end);
      return names.includes(decoded) ? decoded : undefined;
    }
    for (const n of names) if (this.bytesAre(start, end, n)) return n;
    return undefined;
  }

  /** A named member's value: decoded when a scalar, SKIPPED when an object or array. */
  value(): TopLevelScalar | typeof SKIPPED {
    const c = this.peek();
    if (c === Byte.Quote) {
      const start = this.pos + 1;
      const end = this.stringEnd(this.pos);
      this.pos = end + 1;
      return this.hasBackslash(start, end) ? this.decode(start, end) : this.buf.toString('utf8', start, end);
    }
    if (c === Byte.OpenBrace || c === Byte.OpenBracket) return this.skipValue();
    const start = this.pos;
    this.skipScalar();
    if (c === Byte.Minus || (c >= Byte.Zero && c <= Byte.Nine)) {
      const text = this.buf.toString('latin1', start, this.pos);
      if (!NUMBER.test(text)) throw STOP;
      return Number(text);
    }
    for (const [word, value] of LITERALS) if (this.bytesAre(start, this.pos, word)) return value;
    throw STOP;
  }

  /** Steps over any value. */
  skipValue(): typeof SKIPPED {
    const c = this.peek();
    if (c === Byte.Quote) this.pos = this.stringEnd(this.pos) + 1;
    else if (c === Byte.OpenBrace || c === Byte.OpenBracket) this.skipNested();
    else this.skipScalar();
    return SKIPPED;
  }

  /** Steps over a number or literal: to the next delimiter (its bytes are checked only when it is kept). */
  private skipScalar(): void {
    const from = this.pos;
    for (;;) {
      const c = this.peek();
      if (c === -1) throw STOP; // a number at the end may go on
      if (
        c === Byte.Comma ||
        c === Byte.CloseBrace ||
        c === Byte.CloseBracket ||
        c === Byte.Space ||
        c === Byte.Newline ||
        c === Byte.Return ||
        c === Byte.Tab
      )
        break;
      this.pos++;
    }
    if (this.pos === from) throw STOP;
  }

  /** Steps over the object or array at the position: brackets counted outside strings. */
  private skipNested(): void {
    let depth = 0;
    for (;;) {
      const c = this.peek();
      if (c === Byte.Quote) {
        this.pos = this.stringEnd(this.pos) + 1;
        continue;
      }
      if (c === -1) throw STOP;
      this.pos++;
      if (c === Byte.OpenBrace || c === Byte.OpenBracket) depth++;
      else if ((c === Byte.CloseBrace || c === Byte.CloseBracket) && --depth === 0) return;
    }
  }

  /**
   * The index of the quote closing the string whose opening quote is at `open`: the next quote not escaped (an
   * even number of backslashes before it). Found by the native byte search, however long the string.
   */
  private stringEnd(open: number): number {
    let at = open;
    for (;;) {
      at = this.buf.indexOf(Byte.Quote, at + 1);
      if (at < 0) throw STOP;
      let backslashes = 0;
      while (this.buf[at - 1 - backslashes] === Byte.Backslash) backslashes++;
      if (backslashes % 2 === 0) return at;
    }
  }

  private hasBackslash(start: number, end: number): boolean {
    for (let i = start; i < end; i++) if (this.buf[i] === Byte.Backslash) return true;
    return false;
  }

  /** A string's contents with escapes, decoded as JSON decodes them. */
  private decode(start: number, end: number): string {
    try {
      return JSON.parse(this.buf.toString('utf8', start - 1, end + 1)) as string;
    } catch {
      throw STOP;
    }
  }

  /** Whether the bytes [start, end) are the ASCII text `s`. */
  private bytesAre(start: number, end: number, s: string): boolean {
    if (end - start !== s.length) return false;
    for (let i = 0; i < s.length; i++) if (this.buf[start + i] !== s.charCodeAt(i)) return false;
    return true;
  }
}
