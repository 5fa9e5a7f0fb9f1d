import { Framer, FramedText } from './framer';

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
});
