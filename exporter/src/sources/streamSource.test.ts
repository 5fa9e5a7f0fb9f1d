import { Readable } from 'node:stream';
import type { SourceRead } from './types';
import { readStream } from './streamSource';

/** Reads `chunks` as one stream, keeping every read the handler is given. */
async function reads(chunks: (string | Buffer)[], maxLineBytes = 64): Promise<SourceRead[]> {
  const out: SourceRead[] = [];
  await readStream(Readable.from(chunks), '-', maxLineBytes, async (r) => {
    out.push(r);
  });
  return out;
}

describe('readStream', () => {
  it('hands over the lines each chunk completes, with their numbers and byte offsets, and no position', async () => {
    const got = await reads(['{"a":1}\n{"b"', Buffer.from(':2}\n{"c":3}\n')]);
    expect(got).toEqual([
      {
        path: '-',
        position: undefined,
        texts: [{ text: '{"a":1}', line: 1, startOffset: 0, endOffset: 8, tooLong: false }],
      },
      {
        path: '-',
        position: undefined,
        texts: [
          { text: '{"b":2}', line: 2, startOffset: 8, endOffset: 16, tooLong: false },
          { text: '{"c":3}', line: 3, startOffset: 16, endOffset: 24, tooLong: false },
        ],
      },
    ]);
  });

  it('calls the handler only for chunks that complete a line, and reads a last line without a newline at the end', async () => {
    const got = await reads(['{"a"', ':1', '}\n', '{"b":2}']);
    expect(got.map((r) => r.texts.map((t) => [t.text, t.line]))).toEqual([[['{"a":1}', 1]], [['{"b":2}', 2]]]);
  });

  it('counts offsets in bytes for text chunks too (a stream of strings, such as a decoded stdin)', async () => {
    const got = await reads(['{"u":"é"}\n{"u":"e"}\n']);
    expect(got[0]!.texts.map((t) => [t.startOffset, t.endOffset])).toEqual([
      [0, 11],
      [11, 21],
    ]);
  });

  it('hands over nothing for an empty stream', async () => {
    expect(await reads([])).toEqual([]);
  });

  it('marks a line longer than max_line_bytes as too long and goes on with the next', async () => {
    const got = await reads(['x'.repeat(20) + '\n{"a":1}\n'], 16);
    expect(got.flatMap((r) => r.texts.map((t) => [t.tooLong, t.line, t.text]))).toEqual([
      [true, 1, ''],
      [false, 2, '{"a":1}'],
    ]);
  });
});
