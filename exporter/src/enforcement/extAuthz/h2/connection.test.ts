import { EventEmitter } from 'node:events';
import http2 from 'node:http2';
import { connect, Socket } from 'node:net';
import { MAX_CONCURRENT_STREAMS, MAX_HEADER_LIST_SIZE } from './connection';
import {
  CLIENT_PREFACE,
  ErrorCode,
  Flag,
  Frame,
  FrameReader,
  FrameType,
  frameBytes,
  Setting,
  uint32Frame,
} from './frames';
import { encodeHeaderBlock, HeaderField, HpackDecoder } from './hpack';
import { H2Server } from './server';
import type { H2Stream } from './stream';

/** How long any one awaited event may take before the test fails instead of hanging. */
const BOUND_MS = 10_000;

function within<T>(promise: Promise<T>, what: string, ms = BOUND_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Deterministic body octets, so a body answered out of order or truncated differs. */
function bodyOf(size: number, seed = 0): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed * 7 + (i >>> 8)) & 0xff;
  return out;
}

/** What the handler saw of each request, by its "x-id": "open", "end", "abort". */
const handlerEvents = new EventEmitter();

/**
 * The handler under test. Request fields steer it: "x-id" names the request in `handlerEvents` ("open", "end",
 * "abort" with the id); the answer is the request's body, or "x-answer-size" octets; "x-long-header" adds a
 * field of that many octets to the answer's head; "x-trailers" adds trailers; "x-answer: on-headers" answers as
 * soon as the headers are in; "x-answer: never" does not answer.
 */
function echo(stream: H2Stream): void {
  const h = stream.headers;
  const id = h['x-id'] ?? '';
  const chunks: Buffer[] = [];
  stream.onData = (chunk) => chunks.push(Buffer.from(chunk));
  stream.onAbort = () => handlerEvents.emit('abort', id);
  const answer = (): void => {
    const head: HeaderField[] = [[':status', '200']];
    if (h['x-long-header'] !== undefined) head.push(['x-long', 'v'.repeat(Number(h['x-long-header']))]);
    const size = h['x-answer-size'];
    const body = size !== undefined ? bodyOf(Number(size), 1) : Buffer.concat(chunks);
    const trailers = h['x-trailers'] !== undefined ? encodeHeaderBlock([['x-done', 'yes']]) : undefined;
    stream.respond(encodeHeaderBlock(head), body, trailers);
  };
  stream.onEnd = () => {
    handlerEvents.emit('end', id);
    if (h['x-answer'] !== 'never') answer();
  };
  handlerEvents.emit('open', id);
  if (h['x-answer'] === 'on-headers') answer();
  if (h['x-answer'] === 'throw') throw new Error(`the handler failed on ${id}`);
}

/** What the server reported as thrown by the handler (onInternalError). */
const internalErrors: unknown[] = [];

/** Resolves when the handler reports `event` for request `id`; call it before what causes the event. */
function handlerEvent(event: 'open' | 'end' | 'abort', id: string): Promise<void> {
  return within(
    new Promise<void>((resolve) => {
      const listener = (seen: string): void => {
        if (seen !== id) return;
        handlerEvents.off(event, listener);
        resolve();
      };
      handlerEvents.on(event, listener);
    }),
    `handler "${event}" for ${id}`
  );
}

async function startServer(): Promise<{ server: H2Server; port: number }> {
  const server = new H2Server(echo, (e) => internalErrors.push(e));
  return { server, port: await server.listen(0, '127.0.0.1') };
}

let server: H2Server;
let port: number;

beforeAll(async () => {
  ({ server, port } = await startServer());
});

afterAll(async () => {
  await server.close(1000);
});

// ---- node:http2's client (nghttp2: Huffman, a dynamic table, its own flow control) ----

interface Answer {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
  trailers: http2.IncomingHttpHeaders | undefined;
}

function collect(stream: http2.ClientHttp2Stream): Promise<Answer> {
  return within(
    new Promise<Answer>((resolve, reject) => {
      let headers: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders | undefined;
      const chunks: Buffer[] = [];
      stream.on('response', (h) => (headers = h));
      stream.on('trailers', (t) => (trailers = t));
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () =>
        resolve({ status: Number(headers[':status']), headers, body: Buffer.concat(chunks), trailers })
      );
      stream.on('error', reject);
    }),
    'answer'
  );
}

function post(
  session: http2.ClientHttp2Session,
  body: Buffer,
  fields: http2.OutgoingHttpHeaders = {}
): Promise<Answer> {
  const stream = session.request({ ':method': 'POST', ':path': '/echo', ...fields });
  stream.end(body);
  return collect(stream);
}

async function withSession<T>(
  run: (session: http2.ClientHttp2Session) => Promise<T>,
  options: http2.ClientSessionOptions = {},
  to = port
): Promise<T> {
  const session = http2.connect(`http://127.0.0.1:${to}`, options);
  session.on('error', () => undefined);
  try {
    return await run(session);
  } finally {
    session.destroy();
  }
}

const SIZES = [0, 10, 100 * 1024, 3 * 1024 * 1024];

describe('H2Server with node:http2 as the client', () => {
  it('answers many sequential requests on one connection exactly, bodies of 0 B to 3 MB', async () => {
    await withSession(async (session) => {
      for (let round = 0; round < 3; round++)
        for (const [i, size] of SIZES.entries()) {
          const body = bodyOf(size, round * 10 + i);
          const answer = await post(session, body);
          expect(answer.status).toBe(200);
          expect(answer.body.equals(body)).toBe(true);
        }
    });
  });

  it('answers 200 concurrent requests on one connection, each with its own body', async () => {
    await withSession(async (session) => {
      const bodies = Array.from({ length: 200 }, (_, i) => bodyOf(SIZES[i % 3]!, i));
      // Two of them over the 1 MiB stream window, both ways, at the same time as the others.
      bodies[50] = bodyOf(SIZES[3]!, 50);
      bodies[150] = bodyOf(SIZES[3]!, 150);
      const answers = await Promise.all(bodies.map((body) => post(session, body)));
      answers.forEach((answer, i) => {
        expect(answer.status).toBe(200);
        expect(answer.body.length).toBe(bodies[i]!.length);
        expect(answer.body.equals(bodies[i]!)).toBe(true);
      });
    });
  });

  it('ends a request at its trailers, sent after the data', async () => {
    await withSession(async (session) => {
      const ended = handlerEvent('end', 'trailed');
      const stream = session.request(
        { ':method': 'POST', ':path': '/echo', 'x-id': 'trailed', 'x-trailers': '1' },
        { waitForTrailers: true }
      );
      stream.on('wantTrailers', () => stream.sendTrailers({ 'x-checksum': 'abc' }));
      stream.end(bodyOf(1000));
      const answer = await collect(stream);
      await ended;
      expect(answer.body.equals(bodyOf(1000))).toBe(true);
      expect(answer.trailers?.['x-done']).toBe('yes');
    });
  });

  it('waits for WINDOW_UPDATEs to send a 200 KB answer to a client with a window of 100 octets', async () => {
    await withSession(
      async (session) => {
        const answer = await post(session, Buffer.alloc(0), { 'x-answer-size': String(200 * 1024) });
        expect(answer.body.equals(bodyOf(200 * 1024, 1))).toBe(true);
      },
      { settings: { initialWindowSize: 100, maxFrameSize: 16384 } }
    );
  });

  it('sends a head over 16,384 octets in HEADERS and CONTINUATION', async () => {
    await withSession(async (session) => {
      const answer = await post(session, Buffer.alloc(0), { 'x-long-header': '40000' });
      expect(answer.status).toBe(200);
      expect(answer.headers['x-long']).toBe('v'.repeat(40000));
    });
  });

  it('calls onAbort when the client cancels before the answer, and the next request works', async () => {
    await withSession(async (session) => {
      const opened = handlerEvent('open', 'cancelled');
      const aborted = handlerEvent('abort', 'cancelled');
      // Not answered on its end: node:http2's close() ends the request (END_STREAM) before it sends RST_STREAM.
      const stream = session.request({ ':method': 'POST', ':path': '/echo', 'x-id': 'cancelled', 'x-answer': 'never' });
      stream.on('error', () => undefined);
      await opened;
      stream.close(http2.constants.NGHTTP2_CANCEL);
      await aborted;
      const answer = await post(session, bodyOf(10));
      expect(answer.body.equals(bodyOf(10))).toBe(true);
    });
  });

  it('on close(grace), sends GOAWAY, answers the request in flight, then the connection and close end', async () => {
    const own = await startServer();
    await withSession(
      async (session) => {
        const goaway = within(
          new Promise<[number, number]>((resolve) =>
            session.once('goaway', (code: number, lastStreamId: number) => resolve([code, lastStreamId]))
          ),
          'GOAWAY'
        );
        const sessionClosed = within(new Promise<void>((resolve) => session.once('close', resolve)), 'session close');
        const opened = handlerEvent('open', 'in-flight');
        const stream = session.request({ ':method': 'POST', ':path': '/echo', 'x-id': 'in-flight' });
        const answered = collect(stream);
        stream.write(bodyOf(100, 1));
        await opened;
        const closed = own.server.close(5000);
        // The last stream taken is the one in flight (the client's first: id 1), which is still answered.
        expect(await goaway).toEqual([http2.constants.NGHTTP2_NO_ERROR, 1]);
        stream.end(bodyOf(100, 2));
        const answer = await answered;
        expect(answer.body.equals(Buffer.concat([bodyOf(100, 1), bodyOf(100, 2)]))).toBe(true);
        await sessionClosed;
        await within(closed, 'server close');
      },
      {},
      own.port
    );
  });
});

// ---- a raw client, for what nghttp2 never sends ----

const LARGEST_FRAME_SIZE = 2 ** 24 - 1;

/** A client that writes frames as given and reads the server's frames one by one. */
class RawClient {
  readonly decoder = new HpackDecoder(4096, 1024 * 1024);
  private readonly reader = new FrameReader(LARGEST_FRAME_SIZE);
  private readonly frames: Frame[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) =>
      this.reader.push(chunk, (f) => {
        this.frames.push({ ...f, payload: Buffer.from(f.payload) });
        this.wake?.();
      })
    );
    socket.on('error', () => undefined);
    this.closed = new Promise<void>((resolve) =>
      socket.once('close', () => {
        this.ended = true;
        this.wake?.();
        resolve();
      })
    );
  }

  static async open(): Promise<RawClient> {
    const socket = connect(port, '127.0.0.1');
    await within(new Promise<void>((resolve) => socket.once('connect', resolve)), 'connection');
    return new RawClient(socket);
  }

  /** Preface and empty SETTINGS, and the server's preface and SETTINGS ACK read. */
  static async ready(): Promise<RawClient> {
    const client = await RawClient.open();
    client.send(CLIENT_PREFACE, frameBytes(FrameType.SETTINGS, 0, 0));
    expect((await client.next()).type).toBe(FrameType.SETTINGS);
    expect((await client.next()).type).toBe(FrameType.WINDOW_UPDATE);
    expectFrame(await client.next(), FrameType.SETTINGS, Flag.ACK, 0);
    return client;
  }

  send(...bytes: Buffer[]): void {
    this.socket.write(Buffer.concat(bytes));
  }

  async next(): Promise<Frame> {
    const deadline = Date.now() + BOUND_MS;
    while (this.frames.length === 0) {
      if (this.ended) throw new Error('the connection closed');
      await within(new Promise<void>((resolve) => (this.wake = resolve)), 'frame', deadline - Date.now());
    }
    return this.frames.shift()!;
  }

  async expectGoaway(code: number): Promise<void> {
    const f = await this.next();
    expectFrame(f, FrameType.GOAWAY, 0, 0);
    expect(f.payload.readUInt32BE(4)).toBe(code);
    await within(this.closed, 'connection close');
  }

  async expectReset(streamId: number, code: number): Promise<void> {
    const f = await this.next();
    expectFrame(f, FrameType.RST_STREAM, 0, streamId);
    expect(f.payload.readUInt32BE(0)).toBe(code);
  }

  /** The echo's answer on `streamId`: HEADERS with :status 200, then DATA with END_STREAM holding `body`. */
  async expectAnswer(streamId: number, body: Buffer): Promise<void> {
    const head = await this.next();
    expectFrame(head, FrameType.HEADERS, Flag.END_HEADERS, streamId);
    expect(this.decoder.decode(head.payload)).toEqual([[':status', '200']]);
    const data = await this.next();
    expectFrame(data, FrameType.DATA, Flag.END_STREAM, streamId);
    expect(data.payload.toString('hex')).toBe(body.toString('hex'));
  }

  /** A whole request on `streamId` and its answer: the connection still works. */
  async roundTrip(streamId: number): Promise<void> {
    const body = Buffer.from(`stream ${streamId}`);
    this.send(headersFrame(streamId, Flag.END_HEADERS), frameBytes(FrameType.DATA, Flag.END_STREAM, streamId, body));
    await this.expectAnswer(streamId, body);
  }

  end(): void {
    this.socket.destroy();
  }
}

function expectFrame(f: Frame, type: number, flags: number, streamId: number): void {
  expect({ type: f.type, flags: f.flags, streamId: f.streamId }).toEqual({ type, flags, streamId });
}

function requestBlock(extra: HeaderField[] = []): Buffer {
  return encodeHeaderBlock([
    [':method', 'POST'],
    [':scheme', 'http'],
    [':path', '/echo'],
    [':authority', 'test'],
    ...extra,
  ]);
}

function headersFrame(streamId: number, flags: number, extra: HeaderField[] = []): Buffer {
  return frameBytes(FrameType.HEADERS, flags, streamId, requestBlock(extra));
}

function settingsFrame(id: number, value: number): Buffer {
  const payload = Buffer.alloc(6);
  payload.writeUInt16BE(id, 0);
  payload.writeUInt32BE(value, 2);
  return frameBytes(FrameType.SETTINGS, 0, 0, payload);
}

const END_REQUEST = Flag.END_HEADERS | Flag.END_STREAM;

/** A request of exactly these fields (none added), in one HEADERS frame that ends it. */
function wholeRequest(streamId: number, fields: HeaderField[]): Buffer {
  return frameBytes(FrameType.HEADERS, END_REQUEST, streamId, encodeHeaderBlock(fields));
}

describe('H2Server with a raw client', () => {
  const clients: RawClient[] = [];
  const open = async (): Promise<RawClient> => {
    const client = await RawClient.ready();
    clients.push(client);
    return client;
  };
  afterEach(() => {
    for (const client of clients.splice(0)) client.end();
  });

  it('announces its settings and connection window, ACKs the SETTINGS, answers PING with the same octets', async () => {
    const client = await RawClient.open();
    clients.push(client);
    client.send(CLIENT_PREFACE, settingsFrame(Setting.HEADER_TABLE_SIZE, 0));
    const settings = await client.next();
    expectFrame(settings, FrameType.SETTINGS, 0, 0);
    const announced = [];
    for (let at = 0; at < settings.payload.length; at += 6)
      announced.push([settings.payload.readUInt16BE(at), settings.payload.readUInt32BE(at + 2)]);
    expect(announced).toEqual([
      [Setting.MAX_CONCURRENT_STREAMS, 1000],
      [Setting.INITIAL_WINDOW_SIZE, 1048576],
      [Setting.MAX_HEADER_LIST_SIZE, 65536],
    ]);
    const window = await client.next();
    expectFrame(window, FrameType.WINDOW_UPDATE, 0, 0);
    expect(window.payload.readUInt32BE(0)).toBe(4 * 1024 * 1024 - 65535);
    expectFrame(await client.next(), FrameType.SETTINGS, Flag.ACK, 0);
    const octets = Buffer.from('01234567');
    client.send(frameBytes(FrameType.PING, 0, 0, octets));
    const pong = await client.next();
    expectFrame(pong, FrameType.PING, Flag.ACK, 0);
    expect(pong.payload.toString()).toBe('01234567');
  });

  it.each<[string, Buffer]>([
    ['not the preface', Buffer.from('GET / HTTP/1.1\r\nHost: test\r\n\r\n')],
    [
      'a first frame after the preface other than SETTINGS',
      Buffer.concat([CLIENT_PREFACE, frameBytes(6, 0, 0, Buffer.alloc(8))]),
    ],
  ])('ends the connection with GOAWAY PROTOCOL_ERROR on %s', async (_, bytes) => {
    const client = await RawClient.open();
    clients.push(client);
    client.send(bytes);
    expect((await client.next()).type).toBe(FrameType.SETTINGS);
    expect((await client.next()).type).toBe(FrameType.WINDOW_UPDATE);
    await client.expectGoaway(ErrorCode.PROTOCOL_ERROR);
  });

  it('decodes a header block in HEADERS and two CONTINUATION frames', async () => {
    const client = await open();
    const block = requestBlock([['x-padding', 'p'.repeat(100)]]);
    const [a, b] = [Math.floor(block.length / 3), Math.floor((2 * block.length) / 3)];
    client.send(
      frameBytes(FrameType.HEADERS, Flag.END_STREAM, 1, block.subarray(0, a)),
      frameBytes(FrameType.CONTINUATION, 0, 1, block.subarray(a, b)),
      frameBytes(FrameType.CONTINUATION, Flag.END_HEADERS, 1, block.subarray(b))
    );
    await client.expectAnswer(1, Buffer.alloc(0));
  });

  it('sends a head over 16,384 octets as HEADERS without END_HEADERS and CONTINUATION', async () => {
    const client = await open();
    client.send(headersFrame(1, END_REQUEST, [['x-long-header', '20000']]));
    const head = await client.next();
    expectFrame(head, FrameType.HEADERS, 0, 1);
    expect(head.payload.length).toBe(16384);
    const rest = await client.next();
    expectFrame(rest, FrameType.CONTINUATION, Flag.END_HEADERS, 1);
    expect(client.decoder.decode(Buffer.concat([head.payload, rest.payload]))).toEqual([
      [':status', '200'],
      ['x-long', 'v'.repeat(20000)],
    ]);
  });

  it.each<[string, () => Buffer[], number]>([
    [
      'a header block interrupted by a PING',
      () => [frameBytes(FrameType.HEADERS, 0, 1, requestBlock()), frameBytes(FrameType.PING, 0, 0, Buffer.alloc(8))],
      ErrorCode.PROTOCOL_ERROR,
    ],
    [
      `CONTINUATION frames totalling over ${MAX_HEADER_LIST_SIZE} octets`,
      () => [
        frameBytes(FrameType.HEADERS, 0, 1, Buffer.alloc(16384)),
        ...Array.from({ length: 4 }, () => frameBytes(FrameType.CONTINUATION, 0, 1, Buffer.alloc(16384))),
      ],
      ErrorCode.ENHANCE_YOUR_CALM,
    ],
    [
      'an undecodable header block (indexed field 0)',
      () => [frameBytes(FrameType.HEADERS, END_REQUEST, 1, Buffer.from([0x80]))],
      ErrorCode.COMPRESSION_ERROR,
    ],
    ['a stream opened with an even id', () => [headersFrame(2, END_REQUEST)], ErrorCode.PROTOCOL_ERROR],
    [
      'DATA on an idle stream',
      () => [frameBytes(FrameType.DATA, Flag.END_STREAM, 1, Buffer.from('x'))],
      ErrorCode.PROTOCOL_ERROR,
    ],
    ['WINDOW_UPDATE of 0 on stream 0', () => [uint32Frame(FrameType.WINDOW_UPDATE, 0, 0)], ErrorCode.PROTOCOL_ERROR],
    [
      'SETTINGS_INITIAL_WINDOW_SIZE 2^31',
      () => [settingsFrame(Setting.INITIAL_WINDOW_SIZE, 2 ** 31)],
      ErrorCode.FLOW_CONTROL_ERROR,
    ],
    ['SETTINGS_MAX_FRAME_SIZE 100', () => [settingsFrame(Setting.MAX_FRAME_SIZE, 100)], ErrorCode.PROTOCOL_ERROR],
    ['SETTINGS_MAX_FRAME_SIZE 2^24', () => [settingsFrame(Setting.MAX_FRAME_SIZE, 2 ** 24)], ErrorCode.PROTOCOL_ERROR],
    ['SETTINGS_ENABLE_PUSH 2', () => [settingsFrame(Setting.ENABLE_PUSH, 2)], ErrorCode.PROTOCOL_ERROR],
    [
      "a WINDOW_UPDATE taking the connection's window over 2^31-1",
      () => [uint32Frame(FrameType.WINDOW_UPDATE, 0, 2 ** 31 - 1)],
      ErrorCode.FLOW_CONTROL_ERROR,
    ],
    [
      'a PUSH_PROMISE from the client',
      () => [frameBytes(FrameType.PUSH_PROMISE, 0, 1, Buffer.alloc(4))],
      ErrorCode.PROTOCOL_ERROR,
    ],
    ['HEADERS on stream 0', () => [headersFrame(0, END_REQUEST)], ErrorCode.PROTOCOL_ERROR],
    [
      'RST_STREAM of 3 octets',
      () => [frameBytes(FrameType.RST_STREAM, 0, 1, Buffer.alloc(3))],
      ErrorCode.FRAME_SIZE_ERROR,
    ],
    ['a frame over 16,384 octets', () => [frameBytes(0xfa, 0, 0, Buffer.alloc(16385))], ErrorCode.FRAME_SIZE_ERROR],
  ])('ends the connection with GOAWAY on %s', async (_, frames, code) => {
    const client = await open();
    client.send(...frames());
    await client.expectGoaway(code);
  });

  it('ends the connection with GOAWAY INTERNAL_ERROR when the handler throws, and reports what it threw', async () => {
    const client = await open();
    client.send(
      headersFrame(1, END_REQUEST, [
        ['x-answer', 'throw'],
        ['x-id', 'thrower'],
      ])
    );
    await client.expectGoaway(ErrorCode.INTERNAL_ERROR);
    expect(internalErrors.map((e) => (e as Error).message)).toContain('the handler failed on thrower');
  });

  it.each<[string, (id: number) => Buffer[]]>([
    ['an upper-case field name', (id) => [headersFrame(id, END_REQUEST, [['X-Upper', '1']])]],
    [
      'no :path',
      (id) => [
        wholeRequest(id, [
          [':method', 'POST'],
          [':scheme', 'http'],
        ]),
      ],
    ],
    ['"connection: keep-alive"', (id) => [headersFrame(id, END_REQUEST, [['connection', 'keep-alive']])]],
    ['"te: gzip"', (id) => [headersFrame(id, END_REQUEST, [['te', 'gzip']])]],
    [
      'a pseudo-header field after a regular one',
      (id) => [
        wholeRequest(id, [
          [':method', 'POST'],
          [':scheme', 'http'],
          ['x-regular', '1'],
          [':path', '/echo'],
        ]),
      ],
    ],
    [
      'content-length 5 with 3 octets of DATA',
      (id) => [
        headersFrame(id, Flag.END_HEADERS, [['content-length', '5']]),
        frameBytes(FrameType.DATA, Flag.END_STREAM, id, Buffer.from('abc')),
      ],
    ],
    [
      'trailers without END_STREAM',
      (id) => [
        headersFrame(id, Flag.END_HEADERS),
        frameBytes(FrameType.DATA, 0, id, Buffer.from('abc')),
        frameBytes(FrameType.HEADERS, Flag.END_HEADERS, id, encodeHeaderBlock([['x-trailer', '1']])),
      ],
    ],
  ])('resets a request with %s with PROTOCOL_ERROR, and the connection stays usable', async (_, frames) => {
    const client = await open();
    client.send(...frames(1));
    await client.expectReset(1, ErrorCode.PROTOCOL_ERROR);
    await client.roundTrip(3);
  });

  it('reads PADDED DATA, and HEADERS with PADDED and PRIORITY, without their padding', async () => {
    const client = await open();
    const block = requestBlock();
    // Exclusive, on stream 0, weight 16.
    const priority = Buffer.from([0x80, 0, 0, 0, 15]);
    const headers = Buffer.concat([Buffer.from([7]), priority, block, Buffer.alloc(7, 0xee)]);
    const data = Buffer.concat([Buffer.from([3]), Buffer.from('body'), Buffer.alloc(3, 0xee)]);
    client.send(
      frameBytes(FrameType.HEADERS, Flag.END_HEADERS | Flag.PADDED | Flag.PRIORITY, 1, headers),
      frameBytes(FrameType.DATA, Flag.PADDED, 1, data),
      frameBytes(FrameType.DATA, Flag.PADDED | Flag.END_STREAM, 1, Buffer.from([0]))
    );
    await client.expectAnswer(1, Buffer.from('body'));
  });

  it(`refuses the stream opened beyond ${MAX_CONCURRENT_STREAMS} open ones with REFUSED_STREAM`, async () => {
    const client = await open();
    const frames = Array.from({ length: MAX_CONCURRENT_STREAMS + 1 }, (_, i) =>
      headersFrame(2 * i + 1, Flag.END_HEADERS)
    );
    client.send(...frames);
    await client.expectReset(2 * MAX_CONCURRENT_STREAMS + 1, ErrorCode.REFUSED_STREAM);
    // Ending one of the open ones makes room again.
    client.send(frameBytes(FrameType.DATA, Flag.END_STREAM, 1, Buffer.from('one')));
    await client.expectAnswer(1, Buffer.from('one'));
    await client.roundTrip(2 * MAX_CONCURRENT_STREAMS + 3);
  });

  it('sends more of a blocked answer when a later SETTINGS_INITIAL_WINDOW_SIZE widens open streams (6.9.2)', async () => {
    const client = await open();
    client.send(
      settingsFrame(Setting.INITIAL_WINDOW_SIZE, 10),
      headersFrame(1, END_REQUEST, [['x-answer-size', '3000']])
    );
    expectFrame(await client.next(), FrameType.SETTINGS, Flag.ACK, 0);
    expectFrame(await client.next(), FrameType.HEADERS, Flag.END_HEADERS, 1);
    const first = await client.next();
    expectFrame(first, FrameType.DATA, 0, 1);
    expect(first.payload.length).toBe(10);
    // The window of the open stream grows by the difference, 990 octets: that much more is sent, and no more.
    client.send(settingsFrame(Setting.INITIAL_WINDOW_SIZE, 1000));
    expectFrame(await client.next(), FrameType.SETTINGS, Flag.ACK, 0);
    const second = await client.next();
    expectFrame(second, FrameType.DATA, 0, 1);
    expect(second.payload.length).toBe(990);
    client.send(frameBytes(FrameType.PING, 0, 0, Buffer.alloc(8)));
    expectFrame(await client.next(), FrameType.PING, Flag.ACK, 0);
    client.send(uint32Frame(FrameType.WINDOW_UPDATE, 1, 2000));
    const rest = await client.next();
    expectFrame(rest, FrameType.DATA, Flag.END_STREAM, 1);
    expect(rest.payload.length).toBe(2000);
    expect(Buffer.concat([first.payload, second.payload, rest.payload]).equals(bodyOf(3000, 1))).toBe(true);
  });

  it('ignores a PING that is an ACK, and a request reusing the id of a stream already answered', async () => {
    const client = await open();
    await client.roundTrip(1);
    client.send(frameBytes(FrameType.PING, Flag.ACK, 0, Buffer.alloc(8)), headersFrame(1, END_REQUEST));
    // The next frame read is the next request's answer: no PING ACK, and no second answer on stream 1.
    await client.roundTrip(3);
  });

  it('resets with STREAM_CLOSED a HEADERS on a stream whose request has ended', async () => {
    const client = await open();
    client.send(headersFrame(1, END_REQUEST, [['x-answer', 'never']]), headersFrame(1, END_REQUEST));
    await client.expectReset(1, ErrorCode.STREAM_CLOSED);
    await client.roundTrip(3);
  });

  it('calls onAbort for the requests in flight when the connection drops', async () => {
    const client = await open();
    const opened = handlerEvent('open', 'dropped');
    client.send(
      headersFrame(1, END_REQUEST, [
        ['x-answer', 'never'],
        ['x-id', 'dropped'],
      ])
    );
    await opened;
    const aborted = handlerEvent('abort', 'dropped');
    client.end();
    await aborted;
  });

  it("sends no more than the connection's window of 65,535 octets until the client's WINDOW_UPDATE", async () => {
    const client = await open();
    // Stream windows larger than the answer: only the connection's window holds it back.
    client.send(
      settingsFrame(Setting.INITIAL_WINDOW_SIZE, 1024 * 1024),
      headersFrame(1, END_REQUEST, [['x-answer-size', String(100 * 1024)]])
    );
    expectFrame(await client.next(), FrameType.SETTINGS, Flag.ACK, 0);
    expectFrame(await client.next(), FrameType.HEADERS, Flag.END_HEADERS, 1);
    const answer: Buffer[] = [];
    let answered = 0;
    const readDataUpTo = async (total: number): Promise<void> => {
      while (answered < total) {
        const data = await client.next();
        expect({ type: data.type, streamId: data.streamId }).toEqual({ type: FrameType.DATA, streamId: 1 });
        expect(data.payload.length).toBeLessThanOrEqual(16384);
        answer.push(data.payload);
        answered += data.payload.length;
        expect(answered).toBeLessThanOrEqual(total);
        expect(data.flags).toBe(answered === 100 * 1024 ? Flag.END_STREAM : 0);
      }
    };
    await readDataUpTo(65535);
    // Frames are answered in order: a PING's ACK ahead of any more DATA shows the server waits.
    client.send(frameBytes(FrameType.PING, 0, 0, Buffer.alloc(8)));
    expectFrame(await client.next(), FrameType.PING, Flag.ACK, 0);
    client.send(uint32Frame(FrameType.WINDOW_UPDATE, 0, 100 * 1024));
    await readDataUpTo(100 * 1024);
    expect(Buffer.concat(answer).equals(bodyOf(100 * 1024, 1))).toBe(true);
  });

  it('resets a stream sent a WINDOW_UPDATE of 0 with PROTOCOL_ERROR', async () => {
    const client = await open();
    client.send(headersFrame(1, Flag.END_HEADERS), uint32Frame(FrameType.WINDOW_UPDATE, 1, 0));
    await client.expectReset(1, ErrorCode.PROTOCOL_ERROR);
    await client.roundTrip(3);
  });

  it('resets with NO_ERROR a stream answered before its request ended, and ignores the DATA still sent', async () => {
    const client = await open();
    client.send(headersFrame(1, Flag.END_HEADERS, [['x-answer', 'on-headers']]));
    await client.expectAnswer(1, Buffer.alloc(0));
    await client.expectReset(1, ErrorCode.NO_ERROR);
    client.send(frameBytes(FrameType.DATA, Flag.END_STREAM, 1, Buffer.from('late')));
    // The next frame read is the next request's answer: nothing about stream 1.
    await client.roundTrip(3);
  });

  it('does not reset a request without a body that the handler answers at once: it was complete', async () => {
    const client = await open();
    client.send(headersFrame(1, END_REQUEST, [['x-answer', 'on-headers']]));
    await client.expectAnswer(1, Buffer.alloc(0));
    // The next frame read is the next request's answer, not a RST_STREAM for stream 1.
    await client.roundTrip(3);
  });

  it('calls onAbort on a RST_STREAM from the client, and sends nothing more for that stream', async () => {
    const client = await open();
    const opened = handlerEvent('open', 'reset-by-client');
    const aborted = handlerEvent('abort', 'reset-by-client');
    client.send(headersFrame(1, Flag.END_HEADERS, [['x-id', 'reset-by-client']]));
    await opened;
    client.send(uint32Frame(FrameType.RST_STREAM, 1, 0x8 /* CANCEL */));
    await aborted;
    // The request's end arriving after the reset is not answered either.
    client.send(frameBytes(FrameType.DATA, Flag.END_STREAM, 1, Buffer.from('late')));
    await client.roundTrip(3);
  });
});
