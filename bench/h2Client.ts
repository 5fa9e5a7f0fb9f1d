/**
 * A minimal HTTP/2 client for bench:decide's gRPC load (RFC 9113), written on a raw socket because node:http2's
 * client costs more CPU a request than the servers it measures (a CPU profile of the generator at 2,000/s:
 * stream objects, async-resource binding, header validation and their garbage; bench/README.md, "Decisions").
 * Its frames are read and written with the gRPC door's own (exporter/src/enforcement/extAuthz/h2/frames.ts). It
 * sends one request shape: a HEADERS frame whose HPACK block is encoded once (by the door's encoder: literal
 * fields without indexing, RFC 7541 6.2.2, so no dynamic table is involved) and a DATA frame with END_STREAM carrying the
 * caller's bytes; only the stream ids change. It reads back DATA, HEADERS (END_STREAM ends the stream; the
 * header blocks are not decoded), RST_STREAM, SETTINGS, PING, WINDOW_UPDATE and GOAWAY. Its receive windows
 * are opened wide at the start, and its sends wait for the server's connection window. Not a general client:
 * no CONTINUATION, no priorities, no server push (disabled in its SETTINGS).
 */
import { connect, Socket } from 'node:net';
import { encodeHeaderBlock, HeaderField } from '../exporter/src/enforcement/extAuthz/h2/hpack';
import {
  CLIENT_PREFACE,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW,
  Flag,
  Frame,
  FRAME_HEADER_BYTES,
  frameBytes,
  FrameReader,
  FrameType,
  MAX_WINDOW,
  Setting,
  uint32Frame,
  writeFrameHeader,
} from '../exporter/src/enforcement/extAuthz/h2/frames';

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
  private readonly frames = new FrameReader(DEFAULT_MAX_FRAME_SIZE);
  private nextStream = 1;
  private readonly open = new Map<number, OpenStream>();
  /** Requests waiting for the server's connection window or a free stream. */
  private readonly waiting: { body: Buffer; done: OpenStream['done'] }[] = [];
  private sendWindow = DEFAULT_WINDOW;
  private maxStreams = Infinity;
  private failed: Error | undefined;

  /** `headers`: the request's, pseudo-headers first (`:method`, `:scheme`, `:path`, `:authority`), every request alike. */
  constructor(port: number, headers: readonly HeaderField[]) {
    this.headerBlock = encodeHeaderBlock(headers);
    this.socket = connect({ host: '127.0.0.1', port, noDelay: true });
    const settings = Buffer.alloc(12);
    settings.writeUInt16BE(Setting.ENABLE_PUSH, 0);
    settings.writeUInt32BE(0, 2);
    settings.writeUInt16BE(Setting.INITIAL_WINDOW_SIZE, 6);
    settings.writeUInt32BE(MAX_WINDOW, 8);
    this.socket.write(
      Buffer.concat([
        CLIENT_PREFACE,
        frameBytes(FrameType.SETTINGS, 0, 0, settings),
        uint32Frame(FrameType.WINDOW_UPDATE, 0, MAX_WINDOW - DEFAULT_WINDOW),
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
    const out = Buffer.allocUnsafe(2 * FRAME_HEADER_BYTES + block.length + body.length);
    writeFrameHeader(out, 0, block.length, FrameType.HEADERS, Flag.END_HEADERS, stream);
    block.copy(out, FRAME_HEADER_BYTES);
    const data = FRAME_HEADER_BYTES + block.length;
    writeFrameHeader(out, data, body.length, FrameType.DATA, Flag.END_STREAM, stream);
    body.copy(out, data + FRAME_HEADER_BYTES);
    this.socket.write(out);
  }

  private sendWaiting(): void {
    while (this.waiting.length && this.canSend(this.waiting[0]!.body)) {
      const { body, done } = this.waiting.shift()!;
      this.send(body, done);
    }
  }

  private onData(d: Buffer): void {
    try {
      this.frames.push(d, (f) => this.onFrame(f));
    } catch (e) {
      this.fail(e as Error);
    }
  }

  private onFrame({ type, flags, streamId: stream, payload }: Frame): void {
    switch (type) {
      case FrameType.DATA: {
        const s = this.open.get(stream);
        const content = flags & Flag.PADDED ? payload.subarray(1, payload.length - payload[0]!) : payload;
        if (s) s.answer.data = s.answer.data ? Buffer.concat([s.answer.data, content]) : Buffer.from(content);
        if (flags & Flag.END_STREAM) this.end(stream);
        return;
      }
      case FrameType.HEADERS: {
        if (!(flags & Flag.END_HEADERS)) return this.fail(new Error('a header block in CONTINUATION frames'));
        const s = this.open.get(stream);
        if (s) s.answer.headerBlocks++;
        if (flags & Flag.END_STREAM) this.end(stream);
        return;
      }
      case FrameType.RST_STREAM: {
        const s = this.open.get(stream);
        this.open.delete(stream);
        s?.done(new Error(`stream reset (HTTP/2 error ${payload.readUInt32BE(0)})`), s.answer);
        return this.sendWaiting();
      }
      case FrameType.SETTINGS: {
        if (flags & Flag.ACK) return;
        for (let i = 0; i + 6 <= payload.length; i += 6) {
          const [id, value] = [payload.readUInt16BE(i), payload.readUInt32BE(i + 2)];
          if (id === Setting.MAX_CONCURRENT_STREAMS) this.maxStreams = value;
        }
        this.socket.write(frameBytes(FrameType.SETTINGS, Flag.ACK, 0));
        return this.sendWaiting();
      }
      case FrameType.PING:
        if (!(flags & Flag.ACK)) this.socket.write(frameBytes(FrameType.PING, Flag.ACK, 0, payload));
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
