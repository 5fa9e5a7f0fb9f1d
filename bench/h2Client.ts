/**
 * A minimal HTTP/2 client for bench:decide's gRPC load (RFC 9113), written on a raw socket because node:http2's
 * client costs more CPU a request than the servers it measures (a CPU profile of the generator at 2,000/s:
 * stream objects, async-resource binding, header validation and their garbage; bench/README.md, "Decisions").
 * It sends one request shape: a HEADERS frame whose HPACK block is encoded once (literal fields without
 * indexing, RFC 7541 6.2.2, so no dynamic table is involved) and a DATA frame with END_STREAM carrying the
 * caller's bytes; only the stream ids change. It reads back DATA, HEADERS (END_STREAM ends the stream; the
 * header blocks are not decoded), RST_STREAM, SETTINGS, PING, WINDOW_UPDATE and GOAWAY. Its receive windows
 * are opened wide at the start, and its sends wait for the server's connection window. Not a general client:
 * no CONTINUATION, no priorities, no server push (disabled in its SETTINGS).
 */
import { connect, Socket } from 'node:net';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const FRAME_HEADER = 9;
const enum FrameType {
  DATA = 0,
  HEADERS = 1,
  RST_STREAM = 3,
  SETTINGS = 4,
  PING = 6,
  GOAWAY = 7,
  WINDOW_UPDATE = 8,
}
const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const SETTINGS_ENABLE_PUSH = 0x2;
const SETTINGS_MAX_CONCURRENT_STREAMS = 0x3;
const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
const MAX_WINDOW = 2 ** 31 - 1;
const DEFAULT_WINDOW = 65_535;

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const f = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  f.writeUIntBE(payload.length, 0, 3);
  f[3] = type;
  f[4] = flags;
  f.writeUInt32BE(stream, 5);
  payload.copy(f, FRAME_HEADER);
  return f;
}

/** An HPACK integer with an n-bit prefix (RFC 7541 5.1) after the bits `first` already holds. */
function hpackInteger(value: number, prefixBits: number, first: number): number[] {
  const max = 2 ** prefixBits - 1;
  if (value < max) return [first | value];
  const out = [first | max];
  for (value -= max; value >= 128; value = Math.floor(value / 128)) out.push((value % 128) + 128);
  out.push(value);
  return out;
}

/** A header block of literal fields without indexing, new names, no Huffman coding (RFC 7541 6.2.2, 5.2). */
export function hpackLiterals(headers: readonly [string, string][]): Buffer {
  const bytes: number[] = [];
  for (const [name, value] of headers) {
    bytes.push(0x00);
    for (const s of [name, value]) {
      const b = Buffer.from(s, 'latin1');
      bytes.push(...hpackInteger(b.length, 7, 0x00), ...b);
    }
  }
  return Buffer.from(bytes);
}

export interface H2Answer {
  /** The DATA frames' payloads, concatenated; undefined when the stream carried none. */
  data: Buffer | undefined;
  /** HEADERS frames received on the stream (response headers, trailers). */
  headerBlocks: number;
}

interface OpenStream {
  done: (error: Error | undefined, answer: H2Answer) => void;
  answer: H2Answer;
}

export class H2Client {
  private readonly socket: Socket;
  private readonly headerBlock: Buffer;
  private received: Buffer | undefined;
  private nextStream = 1;
  private readonly open = new Map<number, OpenStream>();
  /** Requests waiting for the server's connection window or a free stream. */
  private readonly waiting: { body: Buffer; done: OpenStream['done'] }[] = [];
  private sendWindow = DEFAULT_WINDOW;
  private maxStreams = Infinity;
  private failed: Error | undefined;

  /** `headers`: the request's, pseudo-headers first (`:method`, `:scheme`, `:path`, `:authority`), every request alike. */
  constructor(port: number, headers: readonly [string, string][]) {
    this.headerBlock = hpackLiterals(headers);
    this.socket = connect({ host: '127.0.0.1', port, noDelay: true });
    const settings = Buffer.alloc(12);
    settings.writeUInt16BE(SETTINGS_ENABLE_PUSH, 0);
    settings.writeUInt32BE(0, 2);
    settings.writeUInt16BE(SETTINGS_INITIAL_WINDOW_SIZE, 6);
    settings.writeUInt32BE(MAX_WINDOW, 8);
    const connectionWindow = Buffer.allocUnsafe(4);
    connectionWindow.writeUInt32BE(MAX_WINDOW - DEFAULT_WINDOW, 0);
    this.socket.write(
      Buffer.concat([
        PREFACE,
        frame(FrameType.SETTINGS, 0, 0, settings),
        frame(FrameType.WINDOW_UPDATE, 0, 0, connectionWindow),
      ])
    );
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('error', (e) => this.fail(e));
    this.socket.on('close', () => this.fail(new Error('connection closed')));
  }

  /** Sends `body` as the request's DATA (END_STREAM); `done` gets the stream's answer once the server ends it. */
  request(body: Buffer, done: OpenStream['done']): void {
    if (this.failed) return done(this.failed, { data: undefined, headerBlocks: 0 });
    if (this.waiting.length || !this.canSend(body)) this.waiting.push({ body, done });
    else this.send(body, done);
  }

  private canSend(body: Buffer): boolean {
    return body.length <= this.sendWindow && this.open.size < this.maxStreams;
  }

  private send(body: Buffer, done: OpenStream['done']): void {
    const stream = this.nextStream;
    this.nextStream += 2;
    this.sendWindow -= body.length;
    this.open.set(stream, { done, answer: { data: undefined, headerBlocks: 0 } });
    const block = this.headerBlock;
    const out = Buffer.allocUnsafe(2 * FRAME_HEADER + block.length + body.length);
    out.writeUIntBE(block.length, 0, 3);
    out[3] = FrameType.HEADERS;
    out[4] = END_HEADERS;
    out.writeUInt32BE(stream, 5);
    block.copy(out, FRAME_HEADER);
    const data = FRAME_HEADER + block.length;
    out.writeUIntBE(body.length, data, 3);
    out[data + 3] = FrameType.DATA;
    out[data + 4] = END_STREAM;
    out.writeUInt32BE(stream, data + 5);
    body.copy(out, data + FRAME_HEADER);
    this.socket.write(out);
  }

  private sendWaiting(): void {
    while (this.waiting.length && this.canSend(this.waiting[0]!.body)) {
      const { body, done } = this.waiting.shift()!;
      this.send(body, done);
    }
  }

  private onData(d: Buffer): void {
    let b = this.received ? Buffer.concat([this.received, d]) : d;
    while (b.length >= FRAME_HEADER) {
      const length = b.readUIntBE(0, 3);
      if (b.length < FRAME_HEADER + length) break;
      this.onFrame(
        b[3] as FrameType,
        b[4]!,
        b.readUInt32BE(5) & 0x7fffffff,
        b.subarray(FRAME_HEADER, FRAME_HEADER + length)
      );
      b = b.subarray(FRAME_HEADER + length);
    }
    this.received = b.length ? Buffer.from(b) : undefined;
  }

  private onFrame(type: FrameType, flags: number, stream: number, payload: Buffer): void {
    switch (type) {
      case FrameType.DATA: {
        const s = this.open.get(stream);
        const content = flags & PADDED ? payload.subarray(1, payload.length - payload[0]!) : payload;
        if (s) s.answer.data = s.answer.data ? Buffer.concat([s.answer.data, content]) : Buffer.from(content);
        if (flags & END_STREAM) this.end(stream);
        return;
      }
      case FrameType.HEADERS: {
        if (!(flags & END_HEADERS)) return this.fail(new Error('a header block in CONTINUATION frames'));
        const s = this.open.get(stream);
        if (s) s.answer.headerBlocks++;
        if (flags & END_STREAM) this.end(stream);
        return;
      }
      case FrameType.RST_STREAM: {
        const s = this.open.get(stream);
        this.open.delete(stream);
        s?.done(new Error(`stream reset (HTTP/2 error ${payload.readUInt32BE(0)})`), s.answer);
        return this.sendWaiting();
      }
      case FrameType.SETTINGS: {
        if (flags & ACK) return;
        for (let i = 0; i + 6 <= payload.length; i += 6) {
          const [id, value] = [payload.readUInt16BE(i), payload.readUInt32BE(i + 2)];
          if (id === SETTINGS_MAX_CONCURRENT_STREAMS) this.maxStreams = value;
        }
        this.socket.write(frame(FrameType.SETTINGS, ACK, 0, Buffer.alloc(0)));
        return this.sendWaiting();
      }
      case FrameType.PING:
        if (!(flags & ACK)) this.socket.write(frame(FrameType.PING, ACK, 0, payload));
        return;
      case FrameType.GOAWAY:
        return this.fail(new Error(`GOAWAY (HTTP/2 error ${payload.readUInt32BE(4)})`));
      case FrameType.WINDOW_UPDATE:
        if (stream === 0) {
          this.sendWindow += payload.readUInt32BE(0) & 0x7fffffff;
          this.sendWaiting();
        }
        return;
      // PRIORITY, PUSH_PROMISE (disabled), CONTINUATION (refused above) and unknown types: nothing to do.
    }
  }

  private end(stream: number): void {
    const s = this.open.get(stream);
    if (!s) return;
    this.open.delete(stream);
    s.done(undefined, s.answer);
    this.sendWaiting();
  }

  private fail(e: Error): void {
    if (this.failed) return;
    this.failed = e;
    for (const s of this.open.values()) s.done(e, s.answer);
    this.open.clear();
    for (const w of this.waiting.splice(0)) w.done(e, { data: undefined, headerBlocks: 0 });
  }

  close(): void {
    this.failed ??= new Error('closed');
    this.socket.destroy();
  }
}
