import type { Socket } from 'node:net';
import {
  CLIENT_PREFACE,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW,
  ErrorCode,
  Flag,
  Frame,
  FrameReader,
  FrameTooLarge,
  FrameType,
  frameBytes,
  goawayFrame,
  MAX_WINDOW,
  Setting,
  uint32Frame,
  writeFrameHeader,
  FRAME_HEADER_BYTES,
} from './frames';
import { HpackDecoder, HpackError } from './hpack';
import { requestHeaders, trailersMalformation } from './requestHeaders';
import { AnswerSink, H2Stream } from './stream';

/** Streams a client may have open at once (announced; more are refused with REFUSED_STREAM, safe to retry). */
export const MAX_CONCURRENT_STREAMS = 1000;
/** A stream's receive window: a request body of this size arrives without waiting for a WINDOW_UPDATE. */
const STREAM_WINDOW = 1024 * 1024;
/** The connection's receive window, opened at the start (it is 65,535 octets until then: RFC 9113 6.9.2). */
const CONNECTION_WINDOW = 4 * 1024 * 1024;
/** The dynamic table this side's HPACK decoder keeps (SETTINGS_HEADER_TABLE_SIZE's initial value). */
const HEADER_TABLE_SIZE = 4096;
/** Largest header section accepted, compressed (HEADERS + CONTINUATION) and decoded (RFC 9113 6.5.2's measure). */
export const MAX_HEADER_LIST_SIZE = 64 * 1024;
/** Answers buffered for a client that does not read before this side stops reading its requests. */
const WRITE_BUFFER_LIMIT = 1024 * 1024;
/** How long a connection that ends with an error waits for its GOAWAY to be read before it is dropped. */
const CLOSE_GRACE_MS = 1000;

/** The settings this side announces first thing (RFC 9113 3.4): the rest keep their initial values. */
const SERVER_PREFACE = Buffer.concat([
  settingsFrame([
    [Setting.MAX_CONCURRENT_STREAMS, MAX_CONCURRENT_STREAMS],
    [Setting.INITIAL_WINDOW_SIZE, STREAM_WINDOW],
    [Setting.MAX_HEADER_LIST_SIZE, MAX_HEADER_LIST_SIZE],
  ]),
  uint32Frame(FrameType.WINDOW_UPDATE, 0, CONNECTION_WINDOW - DEFAULT_WINDOW),
]);
const SETTINGS_ACK = frameBytes(FrameType.SETTINGS, Flag.ACK, 0);
const EMPTY = Buffer.alloc(0);

function settingsFrame(settings: [id: number, value: number][]): Buffer {
  const payload = Buffer.allocUnsafe(6 * settings.length);
  settings.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, 6 * i);
    payload.writeUInt32BE(value, 6 * i + 2);
  });
  return frameBytes(FrameType.SETTINGS, 0, 0, payload);
}

/** An error that ends the whole connection with GOAWAY (RFC 9113 5.4.1). */
class ConnectionError extends Error {
  constructor(
    readonly code: number,
    message: string
  ) {
    super(message);
  }
}

/** A header block still arriving in CONTINUATION frames (RFC 9113 6.10). */
interface OpenHeaderBlock {
  streamId: number;
  endStream: boolean;
  fragments: Buffer[];
  size: number;
}

/**
 * The server side of one HTTP/2 connection over cleartext TCP, with prior knowledge (RFC 9113 3.3: how Envoy and
 * gRPC clients reach a plaintext gRPC server): the client's preface, settings, PING, flow control both ways,
 * header blocks over HEADERS and CONTINUATION decoded with HPACK, request trailers, RST_STREAM and GOAWAY. No
 * server push, and priorities are read and ignored (RFC 9113 5.3.2 lets a server do so). Every request becomes an
 * H2Stream handed to `onStream`.
 *
 * Frames written while one read is handled, or one microtask round of answers, go out in one socket write.
 */
export class H2Connection implements AnswerSink {
  private readonly reader = new FrameReader(DEFAULT_MAX_FRAME_SIZE);
  private readonly decoder = new HpackDecoder(HEADER_TABLE_SIZE, MAX_HEADER_LIST_SIZE);
  private readonly streams = new Map<number, H2Stream>();
  /** Streams with an answer waiting for flow-control window. */
  private readonly blocked = new Set<H2Stream>();
  /** Octets of the client's preface still expected; then its SETTINGS must come first. */
  private prefaceLeft = CLIENT_PREFACE.length;
  private settingsSeen = false;
  private lastStreamId = 0;
  private headerBlock: OpenHeaderBlock | undefined;
  private peerInitialWindow = DEFAULT_WINDOW;
  private peerMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  private sendWindow = DEFAULT_WINDOW;
  private receiveWindow = CONNECTION_WINDOW;
  private receivedSinceUpdate = 0;
  /** This side sent GOAWAY: no new stream is taken, and the connection ends when the last one does. */
  private goingAway = false;
  /** The client sent GOAWAY: it opens no new stream. */
  private peerGoingAway = false;
  private closed = false;
  private out: Buffer[] = [];
  private flushQueued = false;
  private readingPaused = false;

  /**
   * `onStream` gets each request; `onInternalError` what its callbacks threw (a defect: the connection ends with
   * INTERNAL_ERROR, and the error goes there to be logged).
   */
  constructor(
    private readonly socket: Socket,
    private readonly onStream: (stream: H2Stream) => void,
    private readonly onInternalError: (e: unknown) => void
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.abortAll());
    this.queue(SERVER_PREFACE);
  }

  /** Graceful close: GOAWAY with the last stream taken; the connection ends once its streams are answered. */
  shutdown(): void {
    if (this.goingAway || this.closed) return;
    this.goingAway = true;
    this.queue(goawayFrame(this.lastStreamId, ErrorCode.NO_ERROR));
    this.endIfIdle();
  }

  /** Drops the connection now (a shutdown that did not finish in time). */
  destroy(): void {
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    if (this.closed) return;
    try {
      if (this.prefaceLeft > 0) {
        const n = Math.min(this.prefaceLeft, chunk.length);
        const at = CLIENT_PREFACE.length - this.prefaceLeft;
        if (!chunk.subarray(0, n).equals(CLIENT_PREFACE.subarray(at, at + n)))
          throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'not the HTTP/2 client preface');
        this.prefaceLeft -= n;
        chunk = chunk.subarray(n);
      }
      if (chunk.length > 0) this.reader.push(chunk, (frame) => this.frame(frame));
    } catch (e) {
      if (e instanceof ConnectionError) this.fail(e.code, e.message);
      else if (e instanceof FrameTooLarge) this.fail(ErrorCode.FRAME_SIZE_ERROR, e.message);
      else if (e instanceof HpackError) this.fail(ErrorCode.COMPRESSION_ERROR, e.message);
      else {
        this.onInternalError(e);
        this.fail(ErrorCode.INTERNAL_ERROR, 'internal error');
      }
    }
  }

  private frame(f: Frame): void {
    if (this.closed) return;
    if (!this.settingsSeen) {
      if (f.type !== FrameType.SETTINGS || f.flags & Flag.ACK)
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'the client preface must end with SETTINGS');
      this.settingsSeen = true;
    }
    if (this.headerBlock && f.type !== FrameType.CONTINUATION)
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'a header block interrupted by another frame');
    switch (f.type) {
      case FrameType.DATA:
        return this.data(f);
      case FrameType.HEADERS:
        return this.headers(f);
      case FrameType.CONTINUATION:
        return this.continuation(f);
      case FrameType.PRIORITY:
        if (f.streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PRIORITY on stream 0');
        if (f.payload.length !== 5) this.reset(f.streamId, ErrorCode.FRAME_SIZE_ERROR);
        return;
      case FrameType.RST_STREAM:
        return this.rstStream(f);
      case FrameType.SETTINGS:
        return this.settings(f);
      case FrameType.PUSH_PROMISE:
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'a client sent PUSH_PROMISE');
      case FrameType.PING:
        if (f.streamId !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PING on a stream');
        if (f.payload.length !== 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'PING not of 8 octets');
        if (!(f.flags & Flag.ACK)) this.queue(frameBytes(FrameType.PING, Flag.ACK, 0, f.payload));
        return;
      case FrameType.GOAWAY:
        if (f.streamId !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'GOAWAY on a stream');
        this.peerGoingAway = true;
        this.endIfIdle();
        return;
      case FrameType.WINDOW_UPDATE:
        return this.windowUpdate(f);
      default:
      // Unknown frame types are ignored (RFC 9113 4.1, 5.5).
    }
  }

  private data(f: Frame): void {
    if (f.streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'DATA on stream 0');
    this.checkNotIdle(f.streamId, 'DATA');
    const data = unpadded(f);
    // Flow control counts the whole payload, padding included (RFC 9113 6.1).
    const length = f.payload.length;
    this.receiveWindow -= length;
    if (this.receiveWindow < 0)
      throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "DATA beyond the connection's window");
    const stream = this.streams.get(f.streamId);
    // A stream already answered and reset, or refused: what was in flight still counts against the connection's
    // window, and is ignored (RFC 9113 5.1, "closed"). Octets a stream error refuses count too.
    if (!stream) return this.consumed(undefined, length);
    stream.receiveWindow -= length;
    const refusal = stream.requestEnded
      ? ErrorCode.STREAM_CLOSED
      : stream.receiveWindow < 0
        ? ErrorCode.FLOW_CONTROL_ERROR
        : undefined;
    if (refusal !== undefined) {
      this.consumed(undefined, length);
      return this.reset(f.streamId, refusal);
    }
    stream.received += data.length;
    if (data.length > 0) stream.onData?.(data);
    if (stream.closed) return this.consumed(undefined, length);
    this.consumed(stream, length);
    if (f.flags & Flag.END_STREAM) this.endRequest(stream);
  }

  private headers(f: Frame): void {
    const id = f.streamId;
    if (id === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'HEADERS on stream 0');
    let at = 0;
    let end = f.payload.length;
    if (f.flags & Flag.PADDED) {
      end -= f.payload[0] ?? 0;
      at = 1;
    }
    if (f.flags & Flag.PRIORITY) at += 5;
    if (end < at) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'HEADERS padding longer than its payload');
    const fragment = f.payload.subarray(at, end);
    const endStream = (f.flags & Flag.END_STREAM) !== 0;
    if (f.flags & Flag.END_HEADERS) return this.headerSection(id, endStream, fragment);
    this.headerBlock = { streamId: id, endStream, fragments: [fragment], size: fragment.length };
  }

  private continuation(f: Frame): void {
    const block = this.headerBlock;
    if (!block || block.streamId !== f.streamId)
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'CONTINUATION without a header block to continue');
    block.fragments.push(f.payload);
    block.size += f.payload.length;
    // A header block is bounded as it arrives, not once complete: CONTINUATION frames could go on for ever.
    if (block.size > MAX_HEADER_LIST_SIZE)
      throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, `a header block over ${MAX_HEADER_LIST_SIZE} octets`);
    if (!(f.flags & Flag.END_HEADERS)) return;
    this.headerBlock = undefined;
    this.headerSection(block.streamId, block.endStream, Buffer.concat(block.fragments, block.size));
  }

  /** A complete header block: a new request, or the trailers of one. Always decoded, to keep HPACK's table. */
  private headerSection(id: number, endStream: boolean, block: Buffer): void {
    const fields = this.decoder.decode(block);
    const stream = this.streams.get(id);
    if (stream) {
      if (stream.requestEnded) return this.reset(id, ErrorCode.STREAM_CLOSED);
      // A second header section is the request's trailers, which end it (RFC 9113 8.1).
      if (!endStream || trailersMalformation(fields) !== undefined) return this.reset(id, ErrorCode.PROTOCOL_ERROR);
      return this.endRequest(stream);
    }
    if (id % 2 === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `stream ${id} opened by the client is even`);
    // The trailers of a stream already answered and reset: ignored, like its DATA.
    if (id <= this.lastStreamId) return;
    this.lastStreamId = id;
    // After GOAWAY, streams beyond its last stream id are not taken (RFC 9113 6.8); the client may retry them.
    if (this.goingAway) return;
    if (this.streams.size >= MAX_CONCURRENT_STREAMS) return this.reset(id, ErrorCode.REFUSED_STREAM);
    const headers = requestHeaders(fields);
    if (typeof headers === 'string') return this.reset(id, ErrorCode.PROTOCOL_ERROR);
    const opened = new H2Stream(id, headers, this, STREAM_WINDOW, this.peerInitialWindow);
    this.streams.set(id, opened);
    // A request without a body is complete before the handler sees it: an answer the handler gives at once then
    // ends the stream, rather than resetting a request it takes for still arriving.
    if (endStream && !this.ended(opened)) return;
    this.onStream(opened);
    if (endStream && !opened.closed) opened.onEnd?.();
  }

  private endRequest(stream: H2Stream): void {
    if (this.ended(stream)) stream.onEnd?.();
  }

  /** Marks the request complete; false, and the stream reset, when it is malformed by its length. */
  private ended(stream: H2Stream): boolean {
    const declared = stream.headers['content-length'];
    // "A request ... is malformed if the value of a content-length header field does not equal the sum of the
    // DATA frame payload lengths" (RFC 9113 8.1.1).
    if (declared !== undefined && Number(declared) !== stream.received) {
      this.reset(stream.id, ErrorCode.PROTOCOL_ERROR);
      return false;
    }
    stream.requestEnded = true;
    return true;
  }

  private rstStream(f: Frame): void {
    if (f.streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
    if (f.payload.length !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'RST_STREAM not of 4 octets');
    this.checkNotIdle(f.streamId, 'RST_STREAM');
    const stream = this.streams.get(f.streamId);
    if (!stream) return;
    this.close(stream);
    stream.onAbort?.();
  }

  private settings(f: Frame): void {
    if (f.streamId !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (f.flags & Flag.ACK) {
      if (f.payload.length !== 0) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS ACK with a payload');
      return;
    }
    if (f.payload.length % 6 !== 0)
      throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS not a multiple of 6 octets');
    for (let at = 0; at < f.payload.length; at += 6) {
      const id = f.payload.readUInt16BE(at);
      const value = f.payload.readUInt32BE(at + 2);
      if (id === Setting.ENABLE_PUSH && value > 1)
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `SETTINGS_ENABLE_PUSH ${value}`);
      if (id === Setting.INITIAL_WINDOW_SIZE) this.peerWindowSetting(value);
      if (id === Setting.MAX_FRAME_SIZE) {
        if (value < DEFAULT_MAX_FRAME_SIZE || value > 2 ** 24 - 1)
          throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `SETTINGS_MAX_FRAME_SIZE ${value}`);
        this.peerMaxFrameSize = value;
      }
      // HEADER_TABLE_SIZE: this side's encoder never indexes, so any size suits it; the rest concern this side's
      // requests and pushes, of which it makes none; unknown settings are ignored (RFC 9113 6.5.2).
    }
    this.queue(SETTINGS_ACK);
    this.sendBlocked();
  }

  /** SETTINGS_INITIAL_WINDOW_SIZE changes every open stream's send window by the difference (RFC 9113 6.9.2). */
  private peerWindowSetting(value: number): void {
    if (value > MAX_WINDOW)
      throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, `SETTINGS_INITIAL_WINDOW_SIZE ${value}`);
    const delta = value - this.peerInitialWindow;
    this.peerInitialWindow = value;
    for (const stream of this.streams.values()) {
      stream.sendWindow += delta;
      if (stream.sendWindow > MAX_WINDOW)
        throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'a stream window over 2^31-1');
    }
  }

  private windowUpdate(f: Frame): void {
    if (f.payload.length !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'WINDOW_UPDATE not of 4 octets');
    const increment = f.payload.readUInt32BE(0) & 0x7fffffff;
    if (f.streamId === 0) {
      if (increment === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
      this.sendWindow += increment;
      if (this.sendWindow > MAX_WINDOW)
        throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, "the connection's window over 2^31-1");
    } else {
      this.checkNotIdle(f.streamId, 'WINDOW_UPDATE');
      const stream = this.streams.get(f.streamId);
      if (!stream) return;
      if (increment === 0) return this.reset(f.streamId, ErrorCode.PROTOCOL_ERROR);
      stream.sendWindow += increment;
      if (stream.sendWindow > MAX_WINDOW) return this.reset(f.streamId, ErrorCode.FLOW_CONTROL_ERROR);
    }
    this.sendBlocked();
  }

  /** Frames other than HEADERS and PRIORITY on a stream the client never opened (RFC 9113 5.1, "idle"). */
  private checkNotIdle(id: number, what: string): void {
    if (id > this.lastStreamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `${what} on idle stream ${id}`);
  }

  /** Body octets read: the windows reopen once half of them is used, so a large body keeps flowing. */
  private consumed(stream: H2Stream | undefined, length: number): void {
    this.receivedSinceUpdate += length;
    if (this.receivedSinceUpdate >= CONNECTION_WINDOW / 2) {
      this.queue(uint32Frame(FrameType.WINDOW_UPDATE, 0, this.receivedSinceUpdate));
      this.receiveWindow += this.receivedSinceUpdate;
      this.receivedSinceUpdate = 0;
    }
    if (!stream || stream.requestEnded) return;
    stream.receivedSinceUpdate += length;
    if (stream.receivedSinceUpdate >= STREAM_WINDOW / 2) {
      this.queue(uint32Frame(FrameType.WINDOW_UPDATE, stream.id, stream.receivedSinceUpdate));
      stream.receiveWindow += stream.receivedSinceUpdate;
      stream.receivedSinceUpdate = 0;
    }
  }

  answer(stream: H2Stream, head: Buffer, body: Buffer | undefined, trailers: Buffer | undefined): void {
    if (stream.closed || this.closed) return;
    const headOnly = body === undefined && trailers === undefined;
    this.queueHeaderBlock(stream.id, head, headOnly);
    if (headOnly) return this.answered(stream);
    stream.pending = { body: body ?? EMPTY, sent: 0, trailers };
    this.sendPending(stream);
  }

  /** Sends what flow control allows of a stream's answer; the rest waits in `blocked` for a WINDOW_UPDATE. */
  private sendPending(stream: H2Stream): void {
    const p = stream.pending!;
    while (p.sent < p.body.length || (p.sent === 0 && p.trailers === undefined)) {
      const n = Math.min(p.body.length - p.sent, stream.sendWindow, this.sendWindow, this.peerMaxFrameSize);
      if (n <= 0 && p.body.length > 0) {
        this.blocked.add(stream);
        return;
      }
      const last = p.sent + n === p.body.length && p.trailers === undefined;
      this.queueData(stream.id, p.body, p.sent, n, last);
      p.sent += n;
      stream.sendWindow -= n;
      this.sendWindow -= n;
      if (last) break;
    }
    this.blocked.delete(stream);
    stream.pending = undefined;
    if (p.trailers) this.queueHeaderBlock(stream.id, p.trailers, true);
    this.answered(stream);
  }

  private sendBlocked(): void {
    for (const stream of this.blocked) {
      if (this.sendWindow <= 0) return;
      this.sendPending(stream);
    }
  }

  /** The answer's END_STREAM is written: the stream is over, reset with NO_ERROR if the request is still coming. */
  private answered(stream: H2Stream): void {
    if (!stream.requestEnded) this.queue(uint32Frame(FrameType.RST_STREAM, stream.id, ErrorCode.NO_ERROR));
    this.close(stream);
  }

  /** A stream error (RFC 9113 5.4.2): RST_STREAM, and the stream, if open, ends unanswered. */
  private reset(id: number, code: number): void {
    this.queue(uint32Frame(FrameType.RST_STREAM, id, code));
    const stream = this.streams.get(id);
    if (!stream) return;
    this.close(stream);
    stream.onAbort?.();
  }

  private close(stream: H2Stream): void {
    stream.closed = true;
    this.streams.delete(stream.id);
    this.blocked.delete(stream);
    this.endIfIdle();
  }

  private endIfIdle(): void {
    if ((this.goingAway || this.peerGoingAway) && this.streams.size === 0 && !this.closed) {
      this.closed = true;
      this.flush();
      this.socket.end();
    }
  }

  /** A connection error (RFC 9113 5.4.1): GOAWAY with the code, then the connection closes. */
  private fail(code: number, message: string): void {
    if (this.closed) return;
    this.queue(goawayFrame(this.lastStreamId, code, message));
    this.flush();
    this.closed = true;
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
    this.abortAll();
  }

  private abortAll(): void {
    this.closed = true;
    const open = [...this.streams.values()];
    this.streams.clear();
    this.blocked.clear();
    for (const stream of open) {
      stream.closed = true;
      stream.onAbort?.();
    }
  }

  /** A header block as HEADERS, with CONTINUATION frames when it is larger than the client's frame size. */
  private queueHeaderBlock(id: number, block: Buffer, endStream: boolean): void {
    const max = this.peerMaxFrameSize;
    for (let at = 0, type: number = FrameType.HEADERS; ; at += max, type = FrameType.CONTINUATION) {
      const n = Math.min(max, block.length - at);
      const lastFragment = at + n === block.length;
      const flags =
        (lastFragment ? Flag.END_HEADERS : 0) | (endStream && type === FrameType.HEADERS ? Flag.END_STREAM : 0);
      this.queue(frameBytes(type, flags, id, block.subarray(at, at + n)));
      if (lastFragment) return;
    }
  }

  private queueData(id: number, body: Buffer, from: number, length: number, endStream: boolean): void {
    const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
    writeFrameHeader(out, 0, length, FrameType.DATA, endStream ? Flag.END_STREAM : 0, id);
    body.copy(out, FRAME_HEADER_BYTES, from, from + length);
    this.queue(out);
  }

  private queue(frame: Buffer): void {
    if (this.socket.destroyed) return;
    this.out.push(frame);
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  private flush(): void {
    this.flushQueued = false;
    if (this.out.length === 0 || this.socket.destroyed || !this.socket.writable) {
      this.out = [];
      return;
    }
    const bytes = this.out.length === 1 ? this.out[0]! : Buffer.concat(this.out);
    this.out = [];
    this.socket.write(bytes);
    // A client that sends requests but does not read the answers is not read from until it does.
    if (this.socket.writableLength > WRITE_BUFFER_LIMIT && !this.readingPaused) {
      this.readingPaused = true;
      this.socket.pause();
      this.socket.once('drain', () => {
        this.readingPaused = false;
        this.socket.resume();
      });
    }
  }
}

/** A DATA frame's data without its padding (RFC 9113 6.1). */
function unpadded(f: Frame): Buffer {
  if (!(f.flags & Flag.PADDED)) return f.payload;
  const padLength = f.payload[0] ?? 0;
  if (padLength >= f.payload.length)
    throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'DATA padding longer than its payload');
  return f.payload.subarray(1, f.payload.length - padLength);
}
