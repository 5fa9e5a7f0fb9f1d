import { bareRecord } from '../../bareRecord';

/**
 * A forwarded request body's top-level fields, read without parsing the rest of it. A decision needs a few
 * scalars of a chat request (`model`, `user`, `max_tokens` and its spellings); `JSON.parse` would build the whole
 * prompt (every message, every part of it) as objects and strings on each request, to throw them away at once.
 * Here a nested value is stepped over: strings by searching for their closing quote, objects and arrays by
 * counting brackets outside strings. The body is not validated beyond what is read: the provider does that.
 */

/** A top-level field's value when it is a scalar; objects and arrays are not kept. */
export type TopLevelScalar = string | number | boolean | null;

/** The character codes the reader looks for. */
const Char = {
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

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERALS: readonly [string, TopLevelScalar][] = [
  ['true', true],
  ['false', false],
  ['null', null],
];

/** Thrown inside the reader where the text stops being JSON (or stops): the fields read until then stand. */
class Stop extends Error {}
const STOP = new Stop();

/**
 * The scalar members of the JSON object `text` (a record that inherits nothing; of a repeated name the last, as
 * `JSON.parse` keeps it), or undefined when `text` is not an object. A body that stops being JSON part-way (one
 * Envoy cut at `max_request_bytes` with `allow_partial_message`) gives the members complete before that point:
 * a value cut short (`"max_tokens": 10` of `1024`) is never taken.
 */
export function readTopLevelFields(text: string | undefined): Record<string, TopLevelScalar> | undefined {
  if (!text) return undefined;
  const r = new FieldReader(text);
  r.skipSpace();
  if (r.peek() !== Char.OpenBrace) return undefined;
  const fields = bareRecord<TopLevelScalar>();
  try {
    r.pos++;
    r.skipSpace();
    if (r.peek() === Char.CloseBrace) return fields;
    for (;;) {
      const name = r.string();
      r.skipSpace();
      r.expect(Char.Colon);
      r.skipSpace();
      const value = r.value();
      // Only a value followed by what may follow it is whole: at the text's end a number may still go on.
      r.skipSpace();
      const next = r.peek();
      if (next !== Char.Comma && next !== Char.CloseBrace) throw STOP;
      if (value === SKIPPED) delete fields[name];
      else fields[name] = value;
      r.pos++;
      if (next === Char.CloseBrace) return fields;
      r.skipSpace();
    }
  } catch (e) {
    if (e instanceof Stop) return fields;
    throw e;
  }
}

/** A nested object or array, stepped over. */
const SKIPPED = Symbol('skipped');

class FieldReader {
  pos = 0;
  constructor(private readonly text: string) {}

  /** The character code at the position; NaN past the end. */
  peek(): number {
    return this.text.charCodeAt(this.pos);
  }

  skipSpace(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (c !== Char.Space && c !== Char.Newline && c !== Char.Return && c !== Char.Tab) return;
      this.pos++;
    }
  }

  expect(c: number): void {
    if (this.peek() !== c) throw STOP;
    this.pos++;
  }

  value(): TopLevelScalar | typeof SKIPPED {
    const c = this.peek();
    if (c === Char.Quote) return this.string();
    if (c === Char.OpenBrace || c === Char.OpenBracket) {
      this.skipNested();
      return SKIPPED;
    }
    if (c === Char.Minus || (c >= Char.Zero && c <= Char.Nine)) {
      // `test` leaves a sticky expression's lastIndex at the match's end: no match array on every request.
      NUMBER.lastIndex = this.pos;
      if (!NUMBER.test(this.text)) throw STOP;
      const start = this.pos;
      this.pos = NUMBER.lastIndex;
      return Number(this.text.slice(start, this.pos));
    }
    for (const [word, value] of LITERALS)
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    throw STOP;
  }

  /** A string at the position, its escapes decoded. */
  string(): string {
    if (this.peek() !== Char.Quote) throw STOP;
    const start = this.pos;
    const end = this.stringEnd(start);
    this.pos = end + 1;
    const raw = this.text.slice(start + 1, end);
    if (!raw.includes('\\')) return raw;
    try {
      return JSON.parse(this.text.slice(start, end + 1)) as string;
    } catch {
      throw STOP;
    }
  }

  /** The index of the quote closing the string that opens at `start`. */
  private stringEnd(start: number): number {
    let at = start;
    for (;;) {
      at = this.text.indexOf('"', at + 1);
      if (at < 0) throw STOP;
      let backslashes = 0;
      while (this.text.charCodeAt(at - 1 - backslashes) === Char.Backslash) backslashes++;
      if (backslashes % 2 === 0) return at;
    }
  }

  /** Steps over the object or array at the position: brackets counted outside strings. */
  private skipNested(): void {
    let depth = 0;
    for (;;) {
      const c = this.text.charCodeAt(this.pos);
      if (c === Char.Quote) {
        this.pos = this.stringEnd(this.pos) + 1;
        continue;
      }
      if (Number.isNaN(c)) throw STOP;
      this.pos++;
      if (c === Char.OpenBrace || c === Char.OpenBracket) depth++;
      else if ((c === Char.CloseBrace || c === Char.CloseBracket) && --depth === 0) return;
    }
  }
}
