import fc from 'fast-check';
import { deflateSync, gzipSync } from 'node:zlib';
import {
  ACCEPTED_ENCODINGS,
  decompress,
  GrpcError,
  GrpcStatus,
  grpcTimeoutMs,
  lengthPrefixed,
  percentEncoded,
  UnaryMessageReader,
} from './grpcWire';

/** The bytes split at `cuts` (positions, any order, duplicates allowed), as DATA frames may split them. */
function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const c of [...at, bytes.length]) {
    if (c > from) out.push(bytes.subarray(from, c));
    from = Math.max(from, c);
  }
  return out;
}

function read(chunks: Buffer[], max = 1024): Buffer {
  const reader = new UnaryMessageReader(max);
  for (const c of chunks) reader.push(c);
  return reader.end().bytes;
}

const codeOf = (f: () => unknown): number | undefined => {
  try {
    f();
  } catch (e) {
    return (e as GrpcError).code;
  }
  return undefined;
};

describe('UnaryMessageReader: one Length-Prefixed-Message from DATA frames (PROTOCOL-HTTP2.md)', () => {
  it('reads the message whatever the DATA frame boundaries, the 5-byte prefix split too', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 8 }), (message, cuts) => {
        const chunks = splitAt(lengthPrefixed(message), cuts);
        expect(read(chunks)).toEqual(Buffer.from(message));
      })
    );
  });

  it('an empty message is a message (a CheckRequest with every field default)', () => {
    expect(read([lengthPrefixed(new Uint8Array(0))])).toEqual(Buffer.alloc(0));
  });

  it('says whether the Compressed-Flag was set', () => {
    const frame = lengthPrefixed(Buffer.from('abc'));
    frame[0] = 1;
    const reader = new UnaryMessageReader(1024);
    reader.push(frame);
    expect(reader.end()).toEqual({ bytes: Buffer.from('abc'), compressed: true });
  });

  it('refuses a second message in the same DATA frame or a later one (UNIMPLEMENTED, as grpc-js)', () => {
    const one = lengthPrefixed(Buffer.from('abc'));
    expect(codeOf(() => read([Buffer.concat([one, one])]))).toBe(GrpcStatus.UNIMPLEMENTED);
    expect(codeOf(() => read([one, one.subarray(0, 1)]))).toBe(GrpcStatus.UNIMPLEMENTED);
  });

  it('refuses a prefix announcing more than the bound as soon as the prefix is in (RESOURCE_EXHAUSTED)', () => {
    const prefix = Buffer.from([0, 0, 0, 4, 1]); // 1025 bytes announced, none of them sent
    const reader = new UnaryMessageReader(1024);
    expect(() => reader.push(prefix.subarray(0, 3))).not.toThrow();
    expect(codeOf(() => reader.push(prefix.subarray(3)))).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
  });

  it('refuses no message (UNIMPLEMENTED), a truncated one and a Compressed-Flag other than 0 or 1 (INTERNAL)', () => {
    expect(codeOf(() => read([]))).toBe(GrpcStatus.UNIMPLEMENTED);
    expect(codeOf(() => read([Buffer.from([0, 0, 0])]))).toBe(GrpcStatus.INTERNAL);
    expect(codeOf(() => read([lengthPrefixed(Buffer.from('abcdef')).subarray(0, 8)]))).toBe(GrpcStatus.INTERNAL);
    expect(codeOf(() => read([Buffer.from([2, 0, 0, 0, 0])]))).toBe(GrpcStatus.INTERNAL);
  });
});

describe('decompress (compression.md)', () => {
  const message = Buffer.from('a CheckRequest, say'.repeat(20));

  it('reads gzip and deflate', async () => {
    await expect(decompress(gzipSync(message), 'gzip', 1024)).resolves.toEqual(message);
    await expect(decompress(deflateSync(message), 'deflate', 1024)).resolves.toEqual(message);
  });

  it('a compressed message without a grpc-encoding other than identity is INTERNAL', async () => {
    await expect(decompress(gzipSync(message), undefined, 1024)).rejects.toMatchObject({ code: GrpcStatus.INTERNAL });
    await expect(decompress(gzipSync(message), 'identity', 1024)).rejects.toMatchObject({
      code: GrpcStatus.INTERNAL,
    });
  });

  it('an unsupported encoding is UNIMPLEMENTED with grpc-accept-encoding listing the supported ones', async () => {
    await expect(decompress(message, 'snappy', 1024)).rejects.toMatchObject({
      code: GrpcStatus.UNIMPLEMENTED,
      trailers: { 'grpc-accept-encoding': ACCEPTED_ENCODINGS },
    });
  });

  it('bounds the decompressed size (RESOURCE_EXHAUSTED) and refuses bytes that do not decompress (INTERNAL)', async () => {
    await expect(decompress(gzipSync(Buffer.alloc(4096)), 'gzip', 1024)).rejects.toMatchObject({
      code: GrpcStatus.RESOURCE_EXHAUSTED,
    });
    await expect(decompress(message, 'gzip', 1024)).rejects.toMatchObject({ code: GrpcStatus.INTERNAL });
  });
});

describe('grpc-timeout and grpc-message', () => {
  it('reads TimeoutValue (at most 8 digits) and TimeoutUnit into ms', () => {
    expect(grpcTimeoutMs('200m')).toBe(200);
    expect(grpcTimeoutMs('1S')).toBe(1000);
    expect(grpcTimeoutMs('2M')).toBe(120_000);
    expect(grpcTimeoutMs('1H')).toBe(3_600_000);
    expect(grpcTimeoutMs('1500u')).toBe(1.5);
    expect(grpcTimeoutMs('99999999n')).toBeCloseTo(99.999999);
    for (const bad of ['', '200', 'm', '123456789m', '-1S', '1.5S', '1s', ' 1S'])
      expect(grpcTimeoutMs(bad)).toBe(undefined);
  });

  it('percent-encodes UTF-8 bytes outside space..~ and % itself, and nothing else', () => {
    expect(percentEncoded('budget team/ml is over its limit (warn)')).toBe('budget team/ml is over its limit (warn)');
    expect(percentEncoded('100% über\nlimit')).toBe('100%25 %C3%BCber%0Alimit');
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        const encoded = percentEncoded(s);
        expect(encoded).toMatch(/^[\x20-\x7e]*$/);
        expect(decodeURIComponent(encoded)).toBe(s);
      })
    );
  });
});
