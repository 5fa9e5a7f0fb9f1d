import type { RequestHeaders } from './requestHeaders';

/** What a stream's answer still has to send once flow control lets it (RFC 9113 6.9). */
export interface PendingAnswer {
  body: Buffer;
  /** How much of the body is sent. */
  sent: number;
  /** The trailer section's header block, sent with END_STREAM after the body; none: the last DATA ends the stream. */
  trailers: Buffer | undefined;
}

/** How a stream's answer reaches its connection (./connection.ts). */
export interface AnswerSink {
  answer(stream: H2Stream, head: Buffer, body: Buffer | undefined, trailers: Buffer | undefined): void;
}

/**
 * One request of an HTTP/2 connection, as the server's handler sees it: its header fields, its body as it
 * arrives (onData, then onEnd), and one answer. Callbacks instead of events: a stream is made for every request,
 * and an EventEmitter's listeners and state are most of what such an object costs.
 */
export class H2Stream {
  /** A piece of the request's body (a DATA frame's data, padding removed). */
  onData: ((chunk: Buffer) => void) | undefined;
  /** The request is complete (END_STREAM, after any trailers). */
  onEnd: (() => void) | undefined;
  /** The stream ended before it was answered: the client reset it, or the connection closed. */
  onAbort: (() => void) | undefined;

  /** The client sent END_STREAM. */
  requestEnded = false;
  /** respond() was called. */
  answered = false;
  /** The stream is over (answered in full, reset, or its connection gone): nothing more is read or written. */
  closed = false;
  /** Body octets received, checked against content-length (RFC 9113 8.1.1). */
  received = 0;
  /** Octets the client may still send before a WINDOW_UPDATE, and those read since the last one. */
  receiveWindow: number;
  receivedSinceUpdate = 0;
  /** Octets this side may still send (the client's window for the stream). */
  sendWindow: number;
  pending: PendingAnswer | undefined;

  constructor(
    readonly id: number,
    readonly headers: RequestHeaders,
    private readonly sink: AnswerSink,
    receiveWindow: number,
    sendWindow: number
  ) {
    this.receiveWindow = receiveWindow;
    this.sendWindow = sendWindow;
  }

  /** Whether the stream can still carry an answer (neither answered nor over). */
  get answerable(): boolean {
    return !this.closed && !this.answered;
  }

  /**
   * The answer: `head` (an encoded header block, ../h2/hpack.ts encodeHeaderBlock) alone ends the stream
   * (a response without content, or gRPC's Trailers-Only); with `body`, DATA follows, then `trailers` if given.
   * When the request is still arriving once the answer is sent, the stream is reset with NO_ERROR, so the client
   * stops sending a body no one reads (RFC 9113 8.1). Ignored once the stream is not answerable.
   */
  respond(head: Buffer, body?: Buffer, trailers?: Buffer): void {
    if (!this.answerable) return;
    this.answered = true;
    this.sink.answer(this, head, body, trailers);
  }
}
