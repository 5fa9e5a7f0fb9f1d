import fc from 'fast-check';
import { isUtf8 } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstInvalidUtf8, Framer, FramedText } from './framer';

function frame(chunks: string[], maxBytes = 1024, finish = false): { out: FramedText[]; framer: Framer } {
  const framer = new Framer(0, 1, maxBytes);
  const out: FramedText[] = [];
  for (const c of chunks) framer.push(Buffer.from(c), out);
  if (finish) framer.finish(out);
  return { out, framer };
}

describe('Framer', () => {
  it('cuts lines with exact offsets and line numbers', () => {
    const { out, framer } = frame(['{"a":1}\n{"b"', ':2}\n\n{"c":3}\n']);
    expect(out.map((t) => [t.text, t.line, t.startOffset, t.endOffset])).toEqual([
      ['{"a":1}', 1, 0, 8],
      ['{"b":2}', 2, 8, 16],
      ['{"c":3}', 4, 17, 25],
    ]);
    expect(framer.resumeOffset).toBe(25);
    expect(framer.resumeLine).toBe(5);
  });

  it('holds a partial last line until its newline arrives', () => {
    const { out, framer } = frame(['{"a":1}\n{"b":']);
    expect(out).toHaveLength(1);
    expect(framer.resumeOffset).toBe(8);
    expect(framer.heldBytes).toBe(5);
    framer.push(Buffer.from('2}\n'), out);
    expect(out[1]!.text).toBe('{"b":2}');
  });

  it('emits a partial last line when the stream is finished', () => {
    const { out } = frame(['{"a":1}\n{"b":2}'], 1024, true);
    expect(out.map((t) => t.text)).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('counts offsets in bytes, not characters', () => {
    const { out } = frame(['{"u":"é"}\n{"v":1}\n']);
    expect(out[1]!.startOffset).toBe(Buffer.byteLength('{"u":"é"}\n'));
  });

  it('gathers a pretty-printed object over several lines, braces in strings ignored', () => {
    const pretty = JSON.stringify({ id: 'x', note: 'a } b {', nested: { list: [1, { k: 2 }] } }, null, 4);
    const { out } = frame([`INFO something\n${pretty}\n{"one":1}\n`]);
    expect(out.map((t) => t.line)).toEqual([1, 2, 2 + pretty.split('\n').length]);
    expect(JSON.parse(out[1]!.text)).toEqual({ id: 'x', note: 'a } b {', nested: { list: [1, { k: 2 }] } });
  });

  it('resumes before an unfinished pretty-printed object', () => {
    const { out, framer } = frame(['{"a":1}\n{\n    "id": "x",\n']);
    expect(out).toHaveLength(1);
    expect(framer.resumeOffset).toBe(8);
    expect(framer.resumeLine).toBe(2);
  });

  it('skips an over-long line without holding it, and goes on', () => {
    const long = 'x'.repeat(100);
    const { out } = frame([`{"a":1}\n${long.slice(0, 50)}`, `${long.slice(50)}\n{"b":2}\n`], 64);
    expect(out.map((t) => [t.tooLong, t.line, t.startOffset, t.endOffset])).toEqual([
      [false, 1, 0, 8],
      [true, 2, 8, 109],
      [false, 3, 109, 117],
    ]);
  });

  it('leaves a too-long line whose newline comes in a later chunk, and frames what follows', () => {
    // max 64: the long line is held past the limit in one chunk and its newline arrives in the next.
    const long = 'y'.repeat(110);
    const { out, framer } = frame(
      ['{"a":1}\n', long.slice(0, 70), long.slice(70, 100), `${long.slice(100)}\n{"b":2}\n{"c":3}\n`],
      64
    );
    expect(out.map((t) => [t.text, t.tooLong, t.line, t.startOffset, t.endOffset])).toEqual([
      ['{"a":1}', false, 1, 0, 8],
      ['', true, 2, 8, 119],
      ['{"b":2}', false, 3, 119, 127],
      ['{"c":3}', false, 4, 127, 135],
    ]);
    expect([framer.resumeOffset, framer.resumeLine, framer.readOffset, framer.heldBytes]).toEqual([135, 5, 135, 0]);
  });

  it('resumes a restart at the start of a too-long line it is still skipping', () => {
    const { out, framer } = frame(['{"a":1}\n', 'z'.repeat(100)], 64);
    expect(out).toHaveLength(1);
    expect([framer.resumeOffset, framer.resumeLine, framer.readOffset, framer.heldBytes]).toEqual([8, 2, 108, 100]);
  });

  it('ends an object cut short at the next line that is not part of it: the cut record costs only itself', () => {
    const { out } = frame(['{"a":1}\n{\n    "id": "cut",\n{"b":2}\nINFO: next\n{\n  "c": 3\n}\n']);
    expect(out.map((t) => [t.text, t.line, t.startOffset, t.endOffset])).toEqual([
      ['{"a":1}', 1, 0, 8],
      ['{\n    "id": "cut",', 2, 8, 27],
      ['{"b":2}', 4, 27, 35],
      ['INFO: next', 5, 35, 46],
      ['{\n  "c": 3\n}', 6, 46, 59],
    ]);
  });

  it('ends an object cut short at the next object', () => {
    const { out } = frame(['{\n  "a": 1,\n{\n  "b": 2\n}\n']);
    expect(out.map((t) => t.text)).toEqual(['{\n  "a": 1,', '{\n  "b": 2\n}']);
  });

  it('ends an object cut short before a too-long line that does not continue it', () => {
    const { out } = frame(['{\n  "a": 1,\n', `${'q'.repeat(80)}\n{"b":2}\n`], 64);
    expect(out.map((t) => [t.text, t.tooLong, t.line, t.startOffset, t.endOffset])).toEqual([
      ['{\n  "a": 1,', false, 1, 0, 12],
      ['', true, 3, 12, 93],
      ['{"b":2}', false, 4, 93, 101],
    ]);
  });

  it("reads LiteLLM's pretty-printed stdout between its log lines", () => {
    const log = readFileSync(join(__dirname, '../../test/fixtures/litellm-stdout.log'));
    const { out } = frame([log.toString('utf8')], 1 << 20);
    expect(out.map((t) => t.line)).toEqual([1, 2, 38]);
    expect(JSON.parse(out[1]!.text).id).toBe('chatcmpl-pretty-0001');
  });

  it('strips a UTF-8 byte order mark at the start of the file, offsets unchanged', () => {
    const framer = new Framer(0, 1, 1024);
    const out: FramedText[] = [];
    framer.push(Buffer.concat([Buffer.from([0xef, 0xbb]), Buffer.from([0xbf])]), out);
    framer.push(Buffer.from('{"a":1}\n\uFEFF{"b":2}\n'), out);
    expect(out.map((t) => [t.text, t.startOffset, t.endOffset])).toEqual([
      ['{"a":1}', 0, 11],
      ['\uFEFF{"b":2}', 11, 22], // only at offset 0: elsewhere it is content, left for the parser to judge
    ]);
  });

  it('flags a line with bytes that are not UTF-8, naming the offset of the first one', () => {
    const framer = new Framer(100, 7, 1024);
    const out: FramedText[] = [];
    framer.push(
      Buffer.concat([Buffer.from('{"u":"ok"}\n{"u":"a'), Buffer.from([0xc3]), Buffer.from('"}\n{"u":"é"}\n')]),
      out
    );
    expect(out.map((t) => [t.line, t.invalidUtf8At])).toEqual([
      [7, undefined],
      [8, 111 + 7],
      [9, undefined],
    ]);
  });

  it('finds the first invalid UTF-8 byte: truncated, overlong, surrogate, out of range', () => {
    const at = (...bytes: number[]) => firstInvalidUtf8(Buffer.from(bytes));
    expect(at(0x61, 0xc3, 0xa9, 0x62)).toBe(4);
    expect(at(0x61, 0xc3)).toBe(1);
    expect(at(0xc0, 0xaf)).toBe(0);
    expect(at(0x61, 0xe0, 0x80, 0xaf)).toBe(1);
    expect(at(0xed, 0xa0, 0x80)).toBe(0);
    expect(at(0xf4, 0x90, 0x80, 0x80)).toBe(0);
    expect(at(0xf0, 0x9f, 0x98, 0x80, 0xff)).toBe(4);
  });
});

describe('firstInvalidUtf8 against Node', () => {
  // Bytes at the edges of RFC 3629's ranges: lead bytes, and continuation bytes at the bounds E0, ED, F0 and F4 allow.
  const EDGES = [
    0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0,
    0xf1, 0xf3, 0xf4, 0xf5, 0xff,
  ];
  const bytes = fc.oneof(
    fc.array(fc.constantFrom(...EDGES), { maxLength: 12 }),
    fc.array(fc.oneof(fc.constantFrom(...EDGES), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }),
    fc
      .tuple(
        fc.string({ unit: 'binary', maxLength: 4 }),
        fc.constantFrom(...EDGES),
        fc.string({ unit: 'binary', maxLength: 4 })
      )
      .map(([a, b, c]) => [...Buffer.from(a), b, ...Buffer.from(c)])
  );

  it('is where the bytes before are well formed and no well-formed sequence starts', () => {
    fc.assert(
      fc.property(bytes, (list) => {
        const buf = Buffer.from(list);
        const at = firstInvalidUtf8(buf);
        expect(isUtf8(buf.subarray(0, at))).toBe(true);
        if (at < buf.length)
          for (let n = 1; n <= 4; n++) expect([n, isUtf8(buf.subarray(at, at + n))]).toEqual([n, false]);
        else expect(isUtf8(buf)).toBe(true);
      }),
      { numRuns: 3000 }
    );
  });
});

describe('Framer: pretty-printed objects', () => {
  const texts = (input: string) => frame([input]).out.map((t) => [t.text, t.line]);

  it('counts no brace or bracket inside a string, escaped quotes and backslashes included', () => {
    for (const object of [
      '{\n  "a": "}",\n  "b": 1\n}',
      '{\n  "": "}",\n  "b": 1\n}',
      '{\n  "a": "x\\"}",\n  "b": 1\n}',
      '{\n  "a": "x\\\\",\n  "b": "}"\n}',
      '{\n  "a": "{[",\n  "b": 1\n}',
      '{\n  "a": [\n    1\n  ]\n}',
    ])
      expect(texts(`${object}\n{"next":1}\n`)).toEqual([
        [object, 1],
        ['{"next":1}', object.split('\n').length + 1],
      ]);
  });

  it('takes a last line without a newline that closes an object with the object, and reads on after it', () => {
    const { out, framer } = frame(['{\n  "a": 1\n}']);
    expect(out).toEqual([]);
    expect(framer.takeUnterminated(out)).toBe(true);
    expect(out.map((t) => [t.text, t.line])).toEqual([['{\n  "a": 1\n}', 1]]);
    framer.push(Buffer.from('\n{"b":2}\n'), out);
    expect(out.map((t) => [t.text, t.line])).toEqual([
      ['{\n  "a": 1\n}', 1],
      ['{"b":2}', 4],
    ]);
  });

  it('refuses an object with a line too long inside it as one too-long text from the object start', () => {
    const input = `{"x":0}\n{\n  "a": "${'y'.repeat(40)}"\n}\n{"b":2}\n`;
    const { out } = frame([input], 32);
    const summary = out.map((t) => [t.text, t.tooLong, t.line, t.startOffset]);
    expect(summary.slice(0, 2)).toEqual([
      ['{"x":0}', false, 1, 0],
      ['', true, 2, 8],
    ]);
    expect(summary.at(-1)).toEqual(['{"b":2}', false, 5, input.indexOf('{"b"')]);
  });

  it('keeps a blank line inside an object in it', () => {
    const object = '{\n  "a": 1,\n\n  "b": 2\n}';
    expect(texts(`${object}\n`)).toEqual([[object, 1]]);
  });
});

describe('Framer: edges', () => {
  const summary = (out: FramedText[]) => out.map((t) => [t.text, t.tooLong, t.line, t.startOffset, t.endOffset]);

  it('keeps a refused partial last line held at finish, and frames it once its newline arrives', () => {
    const { out, framer } = frame(['{"a":1}\n{"b":']);
    const seen: string[] = [];
    framer.finish(out, (text) => {
      seen.push(text);
      return false;
    });
    expect(seen).toEqual(['{"b":']);
    expect(out).toHaveLength(1);
    expect([framer.resumeOffset, framer.readOffset, framer.heldBytes]).toEqual([8, 13, 5]);
    framer.push(Buffer.from('2}\n'), out);
    expect(summary(out)[1]).toEqual(['{"b":2}', false, 2, 8, 16]);
  });

  it('takes a whole JSON last line without a newline as the same line of the file: what is appended later continues it', () => {
    const { out, framer } = frame(['{"a":1}\n{"b":2}']);
    expect(framer.takeUnterminated(out)).toBe(true);
    expect(summary(out)).toEqual([
      ['{"a":1}', false, 1, 0, 8],
      ['{"b":2}', false, 2, 8, 15],
    ]);
    expect([framer.resumeOffset, framer.resumeLine, framer.heldBytes]).toEqual([15, 2, 0]);
    framer.push(Buffer.from('\n{"c":3}\n'), out); // the writer ends its line later: nothing read twice
    expect(summary(out)[2]).toEqual(['{"c":3}', false, 3, 16, 24]);
  });

  it('takes a pretty-printed object whose closing brace has no newline, and leaves anything cut short held', () => {
    const pretty = frame(['{"a":1}\n{\n  "b": 2\n}']);
    expect(pretty.framer.takeUnterminated(pretty.out)).toBe(true);
    expect(summary(pretty.out)[1]).toEqual(['{\n  "b": 2\n}', false, 2, 8, 20]);
    for (const held of [['{"b":'], ['{\n  "b": 2,\n  "c'], ['{\n  "b": 2\n'], ['x'.repeat(80)]]) {
      const { out, framer } = frame(held, 64);
      const before = [framer.resumeOffset, framer.heldBytes];
      expect(framer.takeUnterminated(out)).toBe(false);
      expect([out, framer.resumeOffset, framer.heldBytes]).toEqual([[], ...before]);
    }
  });

  it('at finish, rejects a too-long last line that has no newline, up to its last byte', () => {
    const { out, framer } = frame(['{"a":1}\n', 'z'.repeat(100)], 64, true);
    expect(summary(out)).toEqual([
      ['{"a":1}', false, 1, 0, 8],
      ['', true, 2, 8, 108],
    ]);
    expect([framer.resumeOffset, framer.resumeLine, framer.heldBytes]).toEqual([108, 3, 0]);
  });

  it('at finish, emits an unfinished object as it is, and completes one whose closing brace has no newline', () => {
    expect(summary(frame(['{"a":1}\n{\n  "a": 1,\n'], 1024, true).out)).toEqual([
      ['{"a":1}', false, 1, 0, 8],
      ['{\n  "a": 1,', false, 2, 8, 20],
    ]);
    expect(summary(frame(['{\n  "a": 1\n}'], 1024, true).out)).toEqual([['{\n  "a": 1\n}', false, 1, 0, 12]]);
  });

  it('takes a line of exactly maxBytes bytes (newline not counted) and rejects one byte more, held or not', () => {
    expect(summary(frame(['{"a":1}\n{"ab":1}\n'], 7).out)).toEqual([
      ['{"a":1}', false, 1, 0, 8],
      ['', true, 2, 8, 17],
    ]);
    const held = frame(['{"a":1}'], 7);
    expect([held.framer.resumeOffset, held.framer.heldBytes, held.out]).toEqual([0, 7, []]);
    held.framer.push(Buffer.from('\n'), held.out);
    expect(summary(held.out)).toEqual([['{"a":1}', false, 1, 0, 8]]);
    const over = frame(['{"ab":1}'], 7);
    over.framer.push(Buffer.from('\n'), over.out);
    expect(summary(over.out)).toEqual([['', true, 1, 0, 9]]);
  });

  it('takes an object of exactly maxBytes bytes, newlines counted, and rejects a larger one from its first line', () => {
    // "{\n" is 2 bytes, '  "a": 1\n' 9, "}\n" 2: the object is 11 bytes before its closing line.
    expect(summary(frame(['{\n  "a": 1\n}\n'], 11).out)).toEqual([['{\n  "a": 1\n}', false, 1, 0, 13]]);
    expect(summary(frame(['{\n  "a": 1\n}\n'], 10).out)).toEqual([
      ['', true, 1, 0, 11],
      ['}', false, 3, 11, 13],
    ]);
  });

  it('tracks quotes and backslashes inside strings of a pretty-printed object', () => {
    const value = { note: 'q"}{', path: 'C:\\', more: '\\"{[', after: 1 };
    const { out } = frame([`${JSON.stringify(value, null, 2)}\n{"next":2}\n`]);
    expect(out.map((t) => JSON.parse(t.text))).toEqual([value, { next: 2 }]);
  });

  it('reads a CRLF pretty-printed object, a blank CR line inside it included', () => {
    const { out } = frame(['{\r\n  "a": 1\r\n\r\n}\r\n{"c":3}\r\n']);
    expect(out.map((t) => [JSON.parse(t.text), t.line])).toEqual([
      [{ a: 1 }, 1],
      [{ c: 3 }, 5],
    ]);
  });

  it("keeps a closing bracket at the brace's indentation inside the object", () => {
    const { out } = frame(['{\n  "a": [\n    1\n]\n}\n']);
    expect(out.map((t) => JSON.parse(t.text))).toEqual([{ a: [1] }]);
  });

  it('measures indentation in tabs as well as spaces', () => {
    const { out } = frame(['\t{\n\t\t"a": 1\n\t}\n{"b":2}\n']);
    expect(out.map((t) => [JSON.parse(t.text), t.line])).toEqual([
      [{ a: 1 }, 1],
      [{ b: 2 }, 4],
    ]);
  });

  it('flags an object by the offset of its first byte that is not UTF-8', () => {
    const bytes = Buffer.concat([
      Buffer.from('{\n  "a": "'),
      Buffer.from([0xff]),
      Buffer.from('",\n  "b": "'),
      Buffer.from([0xfe]),
      Buffer.from('"\n}\n'),
    ]);
    const framer = new Framer(0, 1, 1024);
    const out: FramedText[] = [];
    framer.push(bytes, out);
    // "{\n" is 2 bytes and '  "a": "' 8 more: the 0xff is at offset 10; the 0xfe (offset 22) comes later.
    expect(out.map((t) => [t.line, t.startOffset, t.invalidUtf8At])).toEqual([[1, 0, 10]]);
  });

  it('counts a byte order mark in the offset of an invalid byte on the first line', () => {
    const framer = new Framer(0, 1, 1024);
    const out: FramedText[] = [];
    framer.push(
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":"'), Buffer.from([0xff]), Buffer.from('"}\n')]),
      out
    );
    expect(out.map((t) => [t.startOffset, t.endOffset, t.invalidUtf8At])).toEqual([[0, 13, 9]]);
  });
});

/** Frames `bytes` fed in pieces cut at `cuts`, then reports everything observable. */
function frameCut(bytes: Buffer, cuts: number[], maxBytes: number) {
  const framer = new Framer(0, 1, maxBytes);
  const out: FramedText[] = [];
  let from = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    framer.push(bytes.subarray(from, cut), out);
    from = cut;
  }
  framer.push(bytes.subarray(from), out);
  const state = {
    resumeOffset: framer.resumeOffset,
    resumeLine: framer.resumeLine,
    readOffset: framer.readOffset,
    heldBytes: framer.heldBytes,
  };
  framer.finish(out);
  return { out, state };
}

const MAX = 48;
const unicodeText = fc.string({ unit: 'grapheme', maxLength: 12 });
const jsonLine = fc.record({ k: fc.nat(), s: unicodeText }).map((o) => `${JSON.stringify(o)}\n`);
const overlongLine = fc
  .tuple(fc.constantFrom('', '  ', '}'), fc.integer({ min: MAX - 3, max: 4 * MAX }))
  .map(([lead, n]) => `${lead}${'é'.repeat(n / 2)}x\n`);
const prettyObject = fc
  .record({ id: unicodeText, n: fc.nat(), inner: fc.array(fc.nat(), { maxLength: 3 }) })
  .chain((o) =>
    fc.constantFrom(2, 4).chain((indent) =>
      fc.boolean().map((cut) => {
        const lines = JSON.stringify(o, null, indent).split('\n');
        return `${(cut ? lines.slice(0, Math.max(1, lines.length - 2)) : lines).join('\n')}\n`;
      })
    )
  );
const segment = fc.oneof(
  { arbitrary: jsonLine, weight: 4 },
  { arbitrary: overlongLine, weight: 2 },
  { arbitrary: prettyObject, weight: 2 },
  { arbitrary: jsonLine.map((l) => l.replace('\n', '\r\n')), weight: 1 },
  { arbitrary: fc.constantFrom('\n', '   \n', 'INFO: 127.0.0.1 - "POST /chat/completions" 200\n', '{\n'), weight: 1 }
);
/** Some input bytes: segments, maybe a BOM first, maybe invalid UTF-8 bytes inside, maybe a last line without newline. */
const input = fc
  .record({
    bom: fc.boolean(),
    segments: fc.array(segment, { maxLength: 25 }),
    invalid: fc.array(fc.tuple(fc.nat(), fc.constantFrom(0xff, 0xc3, 0xed, 0x80)), { maxLength: 2 }),
    tail: fc.oneof(fc.constant(''), fc.constant('{"partial":'), fc.constant('  "k": 1')),
  })
  .map(({ bom, segments, invalid, tail }) => {
    const bytes = Buffer.concat([Buffer.from(bom ? [0xef, 0xbb, 0xbf] : []), Buffer.from(segments.join('') + tail)]);
    for (const [at, b] of invalid) if (bytes.length && bytes[at % bytes.length] !== NL) bytes[at % bytes.length] = b;
    return bytes;
  });
const NL = 10;

describe('Framer, over arbitrary chunkings', () => {
  it('frames the same texts and rejects, and resumes at the same place, as one contiguous read', () => {
    fc.assert(
      fc.property(input, fc.array(fc.nat(), { maxLength: 30 }), (bytes, cutSeeds) => {
        const cuts = cutSeeds.map((c) => c % (bytes.length + 1));
        expect(frameCut(bytes, cuts, MAX)).toEqual(frameCut(bytes, [], MAX));
      }),
      { numRuns: 400 }
    );
  });

  it('byte by byte gives the same as one read', () => {
    fc.assert(
      fc.property(input, (bytes) => {
        const everyByte = Array.from({ length: bytes.length }, (_, i) => i);
        expect(frameCut(bytes, everyByte, MAX)).toEqual(frameCut(bytes, [], MAX));
      }),
      { numRuns: 100 }
    );
  });

  it('numbers lines and bytes exactly: one text or one too-long reject per JSON line, none lost', () => {
    const lineOf = fc.oneof(
      jsonLine,
      overlongLine.map((l) => l.replace(/^[ }]+/, ''))
    );
    fc.assert(
      fc.property(fc.array(lineOf, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 20 }), (written, cutSeeds) => {
        const bytes = Buffer.from(written.join(''));
        const { out, state } = frameCut(
          bytes,
          cutSeeds.map((c) => c % (bytes.length + 1)),
          MAX
        );
        let offset = 0;
        const expected = written.map((l, i) => {
          const size = Buffer.byteLength(l);
          const tooLong = size - 1 > MAX;
          const e = {
            text: tooLong ? '' : l.slice(0, -1),
            line: i + 1,
            startOffset: offset,
            endOffset: offset + size,
            tooLong,
          };
          offset += size;
          return e;
        });
        expect(out).toEqual(expected);
        expect(state).toEqual({
          resumeOffset: bytes.length,
          resumeLine: written.length + 1,
          readOffset: bytes.length,
          heldBytes: 0,
        });
      }),
      { numRuns: 300 }
    );
  });
});
