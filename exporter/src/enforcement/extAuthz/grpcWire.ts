import { gunzip, inflate, InputType, ZlibOptions } from 'node:zlib';

/**
 * gRPC over HTTP/2 as the gRPC door, a unary server, needs it, after grpc/grpc doc/PROTOCOL-HTTP2.md ("the spec"
 * below) and doc/compression.md: the request's one Length-Prefixed-Message gathered from DATA frames, its
 * decompression, the grpc-timeout header, and the Status / Status-Message trailers. Where the spec leaves the
 * status open, the door answers as grpc-js's server does (the server it replaced), so clients see no change.
 */

/** gRPC status codes (grpc/grpc doc/statuscodes.md; the same numbers as google.rpc.Code). */
export const GrpcStatus = {
  OK: 0,
  DEADLINE_EXCEEDED: 4,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** A call's failure as the status and message its trailers carry, with any extra trailers. */
export class GrpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly trailers: Readonly<Record<string, string>> = {}
  ) {
    super(message);
  }
}

/** Compressed-Flag (1 byte) and Message-Length (4 bytes, big-endian) before each message (the spec, "Requests"). */
const PREFIX_BYTES = 5;

/** One uncompressed message as a Length-Prefixed-Message. */
export function lengthPrefixed(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(PREFIX_BYTES + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, PREFIX_BYTES);
  return out;
}

/** A request message's bytes, still compressed when its Compressed-Flag was 1. */
export interface ReceivedMessage {
  bytes: Buffer;
  compressed: boolean;
}

/**
 * The one request message of a unary call, from the DATA frames of its stream. "DATA frame boundaries have no
 * relation to Length-Prefixed-Message boundaries" (the spec, "Data Frames"): the prefix and the message may be
 * split over frames, and a frame may hold the start of a second message. It refuses as soon as it can: a prefix
 * announcing more than `maxBytes` before the message is buffered, and a second message (grpc-js: UNIMPLEMENTED).
 */
export class UnaryMessageReader {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  /** The message's length from its prefix, once the prefix is in; -1 before. */
  private length = -1;
  private compressed = false;

  constructor(private readonly maxBytes: number) {}

  /** A DATA frame's bytes; throws a GrpcError when they cannot be part of one acceptable message. */
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.length < 0 && this.size >= PREFIX_BYTES) {
      const head = this.chunks[0]!.length >= PREFIX_BYTES ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
      // Compressed-Flag is 0 or 1 ("Compressed-Flag → 0 / 1"); anything else is a corrupt stream.
      if (head[0]! > 1) throw new GrpcError(GrpcStatus.INTERNAL, `invalid Compressed-Flag ${head[0]}`);
      this.compressed = head[0] === 1;
      this.length = head.readUInt32BE(1);
      if (this.length > this.maxBytes)
        throw new GrpcError(
          GrpcStatus.RESOURCE_EXHAUSTED,
          `Received message larger than max (${this.length} vs. ${this.maxBytes})`
        );
    }
    if (this.length >= 0 && this.size > PREFIX_BYTES + this.length)
      throw new GrpcError(GrpcStatus.UNIMPLEMENTED, 'Received a second request message for the unary method Check');
  }

  /** At the request's end of stream: its message, or a GrpcError when there is no whole message. */
  end(): ReceivedMessage {
    if (this.size === 0)
      throw new GrpcError(GrpcStatus.UNIMPLEMENTED, 'Received no request message for the unary method Check');
    if (this.length < 0 || this.size < PREFIX_BYTES + this.length)
      throw new GrpcError(
        GrpcStatus.INTERNAL,
        `the request ended inside its message (${this.size} of ${this.length < 0 ? '?' : PREFIX_BYTES + this.length} bytes)`
      );
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    return { bytes: body.subarray(PREFIX_BYTES), compressed: this.compressed };
  }
}

/** The encodings the door reads (grpc-js's server read the same), for `grpc-accept-encoding`. */
export const ACCEPTED_ENCODINGS = 'identity,deflate,gzip';

const unzip = (codec: typeof gunzip, bytes: InputType, options: ZlibOptions): Promise<Buffer> =>
  new Promise((resolve, reject) => codec(bytes, options, (e, out) => (e ? reject(e) : resolve(out))));

/**
 * A message whose Compressed-Flag is 1, decompressed with the call's `grpc-encoding` (compression.md): set without
 * an encoding other than identity it MUST fail with INTERNAL; an encoding not supported fails with UNIMPLEMENTED
 * and a `grpc-accept-encoding` listing the supported ones. Bounded by `maxBytes` decompressed (grpc-js:
 * RESOURCE_EXHAUSTED), so a small compressed message cannot inflate without limit.
 */
export async function decompress(bytes: Buffer, encoding: string | undefined, maxBytes: number): Promise<Buffer> {
  if (encoding === undefined || encoding === 'identity')
    throw new GrpcError(GrpcStatus.INTERNAL, 'Compressed-Flag set on a message without a grpc-encoding');
  if (encoding !== 'gzip' && encoding !== 'deflate')
    throw new GrpcError(
      GrpcStatus.UNIMPLEMENTED,
      `Received message compressed with unsupported encoding "${encoding}" (supported: ${ACCEPTED_ENCODINGS})`,
      { 'grpc-accept-encoding': ACCEPTED_ENCODINGS }
    );
  try {
    return await unzip(encoding === 'gzip' ? gunzip : inflate, bytes, { maxOutputLength: maxBytes });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new GrpcError(
        GrpcStatus.RESOURCE_EXHAUSTED,
        `Received message that decompresses to a size larger than ${maxBytes}`
      );
    throw new GrpcError(GrpcStatus.INTERNAL, 'Failed to decompress message');
  }
}

/** Milliseconds per TimeoutUnit (the spec, "Timeout → grpc-timeout TimeoutValue TimeoutUnit"). */
const TIMEOUT_UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };

/** A `grpc-timeout` value in ms: TimeoutValue is at most 8 digits; undefined when malformed (grpc-js: INTERNAL). */
export function grpcTimeoutMs(value: string): number | undefined {
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  return m ? Number(m[1]) * TIMEOUT_UNIT_MS[m[2]!]! : undefined;
}

/**
 * Status-Message's percent-encoding (the spec, "Percent-Encoded"): UTF-8, then every byte outside space..~ and
 * `%` itself as %XX. Also keeps a message's line breaks out of the HTTP/2 header value.
 */
export function percentEncoded(message: string): string {
  if (/^[\x20-\x24\x26-\x7e]*$/.test(message)) return message;
  let out = '';
  for (const byte of Buffer.from(message, 'utf8'))
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}
