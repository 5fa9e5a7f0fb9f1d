import fc from 'fast-check';
import { DEFAULT_MAX_FRAME_SIZE, Frame, FrameReader, FrameTooLarge, frameBytes } from './frames';

const LARGEST_FRAME_SIZE = 2 ** 24 - 1;

/** A frame as written: the stream id may carry the reserved bit, which the reader drops (RFC 9113 4.1). */
interface WrittenFrame {
  type: number;
  flags: number;
  rawStreamId: number;
  payload: Uint8Array;
}

const writtenFrame = (maxPayload: number): fc.Arbitrary<WrittenFrame> =>
  fc.record({
    // Types 0-9 and unknown ones, which the reader passes on like any other.
    type: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 10, max: 255 })),
    flags: fc.integer({ min: 0, max: 255 }),
    rawStreamId: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 32 - 1 })),
    payload: fc.oneof(fc.uint8Array({ maxLength: 16 }), fc.uint8Array({ maxLength: maxPayload, size: 'max' })),
  });

/** Chunk sizes from 1 octet to 64 KB, small ones as likely as large ones. */
const chunkSizes = fc.array(
  fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 2048 }), fc.integer({ min: 1, max: 65536 })),
  { minLength: 1, maxLength: 64 }
);

/** Reads `bytes` in chunks of the given sizes (cycled), copying each frame's payload as it is delivered. */
function readInChunks(reader: FrameReader, bytes: Buffer, sizes: number[]): Frame[] {
  const frames: Frame[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const end = Math.min(bytes.length, at + sizes[i % sizes.length]!);
    reader.push(bytes.subarray(at, end), (f) => frames.push({ ...f, payload: Buffer.from(f.payload) }));
    at = end;
  }
  return frames;
}

function expectSameFrames(read: Frame[], written: WrittenFrame[]): void {
  expect(read.map((f) => [f.type, f.flags, f.streamId, f.payload.toString('hex')])).toEqual(
    written.map((f) => [f.type, f.flags, f.rawStreamId & 0x7fffffff, Buffer.from(f.payload).toString('hex')])
  );
}

describe('FrameReader', () => {
  it.each([
    ['16,384', DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_FRAME_SIZE],
    ['2^24-1', LARGEST_FRAME_SIZE, 20_000],
  ])(
    'with a maximum frame size of %s, yields the frames written, in order, however the bytes are chunked',
    (_, maxFrameSize, maxPayload) => {
      fc.assert(
        fc.property(fc.array(writtenFrame(maxPayload), { maxLength: 12 }), chunkSizes, (written, sizes) => {
          const bytes = Buffer.concat(written.map((f) => frameBytes(f.type, f.flags, f.rawStreamId, f.payload)));
          expectSameFrames(readInChunks(new FrameReader(maxFrameSize), bytes, sizes), written);
        }),
        { seed: 9113, numRuns: 150 }
      );
    }
  );

  it('yields frames delivered one octet at a time', () => {
    fc.assert(
      fc.property(fc.array(writtenFrame(300), { maxLength: 8 }), (written) => {
        const bytes = Buffer.concat(written.map((f) => frameBytes(f.type, f.flags, f.rawStreamId, f.payload)));
        expectSameFrames(readInChunks(new FrameReader(DEFAULT_MAX_FRAME_SIZE), bytes, [1]), written);
      }),
      { seed: 41, numRuns: 100 }
    );
  });

  it('accepts a frame of exactly the maximum size', () => {
    const payload = Buffer.alloc(DEFAULT_MAX_FRAME_SIZE, 7);
    const read = readInChunks(new FrameReader(DEFAULT_MAX_FRAME_SIZE), frameBytes(0, 0, 1, payload), [65536]);
    expect(read.map((f) => f.payload.length)).toEqual([DEFAULT_MAX_FRAME_SIZE]);
  });

  it('throws FrameTooLarge as soon as the 9 octets of a header over the maximum are in', () => {
    const before = frameBytes(6, 0, 0, Buffer.alloc(8, 1));
    const header = frameBytes(0, 0, 1, Buffer.alloc(DEFAULT_MAX_FRAME_SIZE + 1)).subarray(0, 9);
    const reader = new FrameReader(DEFAULT_MAX_FRAME_SIZE);
    const frames: Frame[] = [];
    // The frame before it is delivered, and 8 octets of the header are not yet enough to know.
    reader.push(Buffer.concat([before, header.subarray(0, 8)]), (f) => frames.push(f));
    expect(frames.map((f) => f.type)).toEqual([6]);
    let thrown: unknown;
    try {
      reader.push(header.subarray(8), (f) => frames.push(f));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(FrameTooLarge);
    expect(thrown).toMatchObject({ length: DEFAULT_MAX_FRAME_SIZE + 1, max: DEFAULT_MAX_FRAME_SIZE });
    expect(frames).toHaveLength(1);
  });
});
