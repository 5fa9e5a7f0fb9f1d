/**
 * HTTP/2 frames (RFC 9113 section 4 and 6): their types, flags, error codes and settings, a frame's bytes, and
 * the frames in a byte stream that arrives in chunks of any size.
 */

/** Frame types (RFC 9113 6; 11.2). */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;

/** Frame flags (RFC 9113 6): the same bit means END_STREAM or ACK depending on the frame's type. */
export const Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;

/** Error codes of RST_STREAM and GOAWAY (RFC 9113 7). */
export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  COMPRESSION_ERROR: 0x9,
  ENHANCE_YOUR_CALM: 0xb,
} as const;

/** Settings parameters (RFC 9113 6.5.2). */
export const Setting = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
} as const;

/** "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", what a client sends before its first frame (RFC 9113 3.4). */
export const CLIENT_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const FRAME_HEADER_BYTES = 9;
/** SETTINGS_MAX_FRAME_SIZE's initial value, and its least (RFC 9113 6.5.2). */
export const DEFAULT_MAX_FRAME_SIZE = 16_384;
/** SETTINGS_INITIAL_WINDOW_SIZE's initial value, also the connection's first window (RFC 9113 6.9.2). */
export const DEFAULT_WINDOW = 65_535;
/** The largest flow-control window (RFC 9113 6.9.1). */
export const MAX_WINDOW = 2 ** 31 - 1;

/** One frame as read: its payload is a view of the bytes read (valid until the next chunk arrives). */
export interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

/** A frame's bytes: the 9-octet header (RFC 9113 4.1) and the payload. */
export function frameBytes(type: number, flags: number, streamId: number, payload?: Uint8Array): Buffer {
  const length = payload ? payload.length : 0;
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
  writeFrameHeader(out, 0, length, type, flags, streamId);
  if (payload) out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

/** Writes a frame header at `at` (for callers that build several frames in one buffer). */
export function writeFrameHeader(
  out: Buffer,
  at: number,
  length: number,
  type: number,
  flags: number,
  streamId: number
): void {
  out[at] = length >>> 16;
  out[at + 1] = (length >>> 8) & 0xff;
  out[at + 2] = length & 0xff;
  out[at + 3] = type;
  out[at + 4] = flags;
  out.writeUInt32BE(streamId, at + 5);
}

/** A frame whose payload is one 32-bit value: RST_STREAM's error code, WINDOW_UPDATE's increment. */
export function uint32Frame(type: number, streamId: number, value: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 4);
  writeFrameHeader(out, 0, 4, type, 0, streamId);
  out.writeUInt32BE(value, FRAME_HEADER_BYTES);
  return out;
}

/** GOAWAY: the last stream this side processed and why it closes (RFC 9113 6.8). */
export function goawayFrame(lastStreamId: number, code: number, debug = ''): Buffer {
  const reason = Buffer.from(debug, 'utf8');
  const payload = Buffer.allocUnsafe(8 + reason.length);
  payload.writeUInt32BE(lastStreamId, 0);
  payload.writeUInt32BE(code, 4);
  reason.copy(payload, 8);
  return frameBytes(FrameType.GOAWAY, 0, 0, payload);
}

/** A frame longer than the largest this side accepts: the connection ends with FRAME_SIZE_ERROR (RFC 9113 4.2). */
export class FrameTooLarge extends Error {
  constructor(
    readonly length: number,
    readonly max: number
  ) {
    super(`a frame of ${length} octets, over SETTINGS_MAX_FRAME_SIZE ${max}`);
  }
}

/**
 * The frames in a byte stream read in chunks: frame boundaries have nothing to do with chunk boundaries. A chunk
 * that ends mid-frame keeps only the unread tail, so a read never copies more than one partial frame.
 */
export class FrameReader {
  private rest: Buffer | undefined;

  constructor(private readonly maxFrameSize: number) {}

  /** Calls `onFrame` for each whole frame the chunk completes; throws FrameTooLarge as soon as a header says so. */
  push(chunk: Buffer, onFrame: (frame: Frame) => void): void {
    const bytes = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = undefined;
    let at = 0;
    while (bytes.length - at >= FRAME_HEADER_BYTES) {
      const length = (bytes[at]! << 16) | (bytes[at + 1]! << 8) | bytes[at + 2]!;
      if (length > this.maxFrameSize) throw new FrameTooLarge(length, this.maxFrameSize);
      const end = at + FRAME_HEADER_BYTES + length;
      if (end > bytes.length) break;
      onFrame({
        type: bytes[at + 3]!,
        flags: bytes[at + 4]!,
        // The reserved bit is ignored on receipt (RFC 9113 4.1).
        streamId: bytes.readUInt32BE(at + 5) & 0x7fffffff,
        payload: bytes.subarray(at + FRAME_HEADER_BYTES, end),
      });
      at = end;
    }
    if (at < bytes.length) this.rest = Buffer.from(bytes.subarray(at));
  }
}
