import * as grpc from '@grpc/grpc-js';
import { ClientHttp2Session, connect, constants, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { AuthConfig, hashToken, OPEN_AUTH } from '../../auth/apiTokens';
import { ConfigError } from '../../config/reader';
import type { Logger } from '../../log';
import {
  AuthorizationClient,
  bearerMetadata,
  CHAT_REQUEST,
  DECISIONS,
  envoyCheckRequest,
  rpcCodeOf,
  ScriptedDecider,
} from '../../../test/envoyExtAuthz';
import type { Decider, Decision } from '../decider';
import { TOKEN_CONTEXT_EXTENSION } from './callers';
import type { CheckResponseMessage } from './checkMessages';
import { GrpcDoor, MAX_CHECK_REQUEST_BYTES } from './grpcDoor';
import { GrpcStatus, lengthPrefixed } from './grpcWire';
import { CHECK_METHOD_PATH, extAuthzTypes, OVERWRITE_IF_EXISTS_OR_ADD, RpcCode } from './protos';

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

const TOKENS: AuthConfig = {
  api: 'required',
  metrics: 'open',
  tokens: [
    { name: 'envoy', sha256: Buffer.from(hashToken('envoy-secret'), 'hex'), role: 'ingest', scope: undefined },
    { name: 'team-ml', sha256: Buffer.from(hashToken('ml-secret'), 'hex'), role: 'scoped', scope: { team: 'ml' } },
  ],
};

describe('ext_authz gRPC door (a grpc-js client over the ext_authz protos, a real server on 127.0.0.1)', () => {
  let door: GrpcDoor;
  let client: AuthorizationClient;
  let decider: ScriptedDecider;
  let auth: AuthConfig;

  beforeAll(async () => {
    decider = new ScriptedDecider(DECISIONS.allow);
    door = await GrpcDoor.start({ host: '127.0.0.1', port: 0, decider: () => decider, auth: () => auth, log: quiet });
    client = new AuthorizationClient(door.port);
  });
  afterAll(async () => {
    client.close();
    await door.stop();
  });
  beforeEach(() => {
    auth = OPEN_AUTH;
    decider.asked.length = 0;
  });

  it('hands the decision the headers, the x-request-id and the JSON body of the checked request', async () => {
    decider.answer = DECISIONS.allow;
    await client.check(envoyCheckRequest(CHAT_REQUEST));
    expect(decider.asked).toHaveLength(1);
    const asked = decider.asked[0]!;
    expect(asked.requestId).toBe(CHAT_REQUEST.headers['x-request-id']);
    expect(asked.headers['authorization']).toBe(CHAT_REQUEST.headers.authorization);
    expect(asked.headers['x-user-id']).toBe('alice');
    expect(asked.headers[':path']).toBe('/v1/chat/completions');
    expect({ ...(asked.body as object) }).toEqual({ model: 'gpt-4o-mini', max_tokens: 256 }); // the prompt is not read
  });

  it('reads the body from raw_body (pack_as_bytes) and the headers from header_map (encode_raw_headers)', async () => {
    await client.check(envoyCheckRequest(CHAT_REQUEST, { packAsBytes: true, encodeRawHeaders: true }));
    const asked = decider.asked[0]!;
    expect(asked.requestId).toBe(CHAT_REQUEST.headers['x-request-id']);
    expect(asked.headers['x-user-id']).toBe('alice');
    expect({ ...(asked.body as object) }).toEqual({ model: 'gpt-4o-mini', max_tokens: 256 }); // the prompt is not read
  });

  it('allow: status OK, the x-ratelimit-* headers to the upstream request and to the client response', async () => {
    decider.answer = DECISIONS.allow;
    const res = await client.check(envoyCheckRequest(CHAT_REQUEST));
    expect(rpcCodeOf(res)).toBe(RpcCode.OK);
    expect(res.denied_response).toBeUndefined();
    const expected = Object.entries(DECISIONS.allow.headers).map(([key, value]) => ({
      header: { key, value },
      append_action: OVERWRITE_IF_EXISTS_OR_ADD,
    }));
    expect(res.ok_response!.headers).toEqual(expected);
    expect(res.ok_response!.response_headers_to_add).toEqual(expected);
  });

  it('warn: status OK, and the client is told which budget is over', async () => {
    decider.answer = DECISIONS.warn;
    const res = await client.check(envoyCheckRequest(CHAT_REQUEST));
    expect(rpcCodeOf(res)).toBe(RpcCode.OK);
    const toClient = res.ok_response!.response_headers_to_add.map((h) => [h.header.key, h.header.value]);
    expect(toClient).toContainEqual(['x-tokenledger-warning', 'team ml monthly is over its limit (warn)']);
  });

  it('block: RESOURCE_EXHAUSTED with a 429 denial carrying retry-after and a JSON body', async () => {
    decider.answer = DECISIONS.block;
    const res = await client.check(envoyCheckRequest(CHAT_REQUEST));
    expect(res.status).toEqual({ code: RpcCode.RESOURCE_EXHAUSTED, message: DECISIONS.block.reason });
    expect(res.ok_response).toBeUndefined();
    const denied = res.denied_response!;
    expect(denied.status.code).toBe(429);
    const headers = Object.fromEntries(denied.headers.map((h) => [h.header.key, h.header.value]));
    expect(headers).toEqual({ ...DECISIONS.block.headers, 'content-type': 'application/json' });
    expect(JSON.parse(denied.body)).toEqual({
      error: { message: DECISIONS.block.reason, type: 'budget_exceeded', code: 429 },
    });
  });

  it('fail closed: UNAVAILABLE with a 503 denial', async () => {
    decider.answer = DECISIONS.failClosed;
    const res = await client.check(envoyCheckRequest(CHAT_REQUEST));
    expect(rpcCodeOf(res)).toBe(RpcCode.UNAVAILABLE);
    expect(res.denied_response!.status.code).toBe(503);
    expect(JSON.parse(res.denied_response!.body).error.type).toBe('budget_unavailable');
  });

  it('says in a ConfigError naming enforcement.grpc_listen that its port is taken', async () => {
    const start = GrpcDoor.start({
      host: '127.0.0.1',
      port: door.port,
      decider: () => decider,
      auth: () => auth,
      log: quiet,
    });
    await expect(start).rejects.toThrow(ConfigError);
    await expect(start).rejects.toThrow(
      /^cannot listen on 127\.0\.0\.1:\d+ \(enforcement\.grpc_listen\): .*EADDRINUSE/
    );
  });

  it('a decision that fails is the RPC error UNAVAILABLE (Envoy: failure_mode_allow decides)', async () => {
    decider.answer = new Error('ledger state unreadable');
    await expect(client.check(envoyCheckRequest(CHAT_REQUEST))).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
    });
  });

  describe('with tokens configured', () => {
    beforeEach(() => {
      auth = TOKENS;
      decider.answer = DECISIONS.allow;
    });

    it('refuses a call without a token (UNAUTHENTICATED) and does not decide', async () => {
      await expect(client.check(envoyCheckRequest(CHAT_REQUEST))).rejects.toMatchObject({
        code: grpc.status.UNAUTHENTICATED,
      });
      expect(decider.asked).toHaveLength(0);
    });

    it("does not take the client's own Authorization header (inside the CheckRequest) for a token", async () => {
      const request = { ...CHAT_REQUEST, headers: { ...CHAT_REQUEST.headers, authorization: 'Bearer envoy-secret' } };
      await expect(client.check(envoyCheckRequest(request))).rejects.toMatchObject({
        code: grpc.status.UNAUTHENTICATED,
      });
    });

    it('refuses a token scoped to a team (PERMISSION_DENIED)', async () => {
      await expect(client.check(envoyCheckRequest(CHAT_REQUEST), bearerMetadata('ml-secret'))).rejects.toMatchObject({
        code: grpc.status.PERMISSION_DENIED,
      });
    });

    it('answers a token in the authorization metadata (Envoy initial_metadata)', async () => {
      const res = await client.check(envoyCheckRequest(CHAT_REQUEST), bearerMetadata('envoy-secret'));
      expect(rpcCodeOf(res)).toBe(RpcCode.OK);
    });

    it('answers a token in the context extension (Envoy Gateway contextExtensions)', async () => {
      const request = envoyCheckRequest(CHAT_REQUEST, {
        contextExtensions: { [TOKEN_CONTEXT_EXTENSION]: 'envoy-secret' },
      });
      const res = await client.check(request);
      expect(rpcCodeOf(res)).toBe(RpcCode.OK);
    });
  });
});

/** What a raw HTTP/2 client got back for one call. */
interface RawAnswer {
  /** The first HEADERS block: Response-Headers, or all of a Trailers-Only answer. */
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders;
  data: Buffer;
  /** The RST_STREAM code the stream closed with (0, NO_ERROR, for a normal end too). */
  rstCode: number;
}

/**
 * A gRPC call over node:http2 with nothing of grpc-js: each of `chunks` written as its own DATA frame (a pause
 * between them lets each go out alone), so tests can send what grpc-js's client never would.
 */
async function rawCall(
  session: ClientHttp2Session,
  chunks: Buffer[],
  o: { headers?: OutgoingHttpHeaders; end?: boolean } = {}
): Promise<RawAnswer> {
  const req = session.request({
    ':method': 'POST',
    ':path': CHECK_METHOD_PATH,
    'content-type': 'application/grpc',
    te: 'trailers',
    ...o.headers,
  });
  const answer = new Promise<RawAnswer>((resolve, reject) => {
    const got: RawAnswer = { headers: {}, trailers: {}, data: Buffer.alloc(0), rstCode: -1 };
    req.on('response', (h) => (got.headers = h));
    req.on('trailers', (t) => (got.trailers = t));
    req.on('data', (d: Buffer) => (got.data = Buffer.concat([got.data, d])));
    req.on('error', () => {});
    req.on('close', () => resolve({ ...got, rstCode: req.rstCode ?? -1 }));
    setTimeout(() => reject(new Error('no answer in 5 s')), 5000).unref();
  });
  for (const c of chunks) {
    if (req.closed) break;
    req.write(c);
    await new Promise((r) => setTimeout(r, 5));
  }
  if (o.end !== false && !req.closed) req.end();
  return answer;
}

/** Whether HTTP/2 frames (RFC 9113 4.1: 3-byte length, type, flags, stream id) hold one of `type`. */
function hasFrame(bytes: Buffer, type: number): boolean {
  for (let at = 0; at + 9 <= bytes.length; at += 9 + bytes.readUIntBE(at, 3)) if (bytes[at + 3] === type) return true;
  return false;
}

const checkRequestBytes = () =>
  Buffer.from(extAuthzTypes().CheckRequest.encode(envoyCheckRequest(CHAT_REQUEST)).finish());
const statusOf = (a: RawAnswer) => Number(a.trailers['grpc-status'] ?? a.headers['grpc-status']);

describe('ext_authz gRPC door as a gRPC server (a raw node:http2 client, PROTOCOL-HTTP2.md)', () => {
  let door: GrpcDoor;
  let session: ClientHttp2Session;
  let decider: Decider & { asked: number };
  let answer: () => Promise<Decision>;

  beforeAll(async () => {
    decider = {
      asked: 0,
      check: () => {
        decider.asked++;
        return answer();
      },
    };
    door = await GrpcDoor.start({
      host: '127.0.0.1',
      port: 0,
      decider: () => decider,
      auth: () => OPEN_AUTH,
      log: quiet,
    });
    session = connect(`http://127.0.0.1:${door.port}`);
  });
  afterAll(async () => {
    session.close();
    await door.stop();
  });
  beforeEach(() => {
    decider.asked = 0;
    answer = () => Promise.resolve(DECISIONS.allow);
  });

  /** A Trailers-Only answer: :status 200, grpc-status in the one HEADERS block, no message. */
  function expectTrailersOnly(a: RawAnswer, code: number, message?: RegExp): void {
    expect(a.headers[':status']).toBe(200);
    expect(a.headers['content-type']).toMatch(/^application\/grpc/);
    expect(a.headers['grpc-status']).toBe(String(code));
    if (message) expect(decodeURIComponent(String(a.headers['grpc-message']))).toMatch(message);
    expect(a.data).toHaveLength(0);
  }

  it('answers a message split over DATA frames (its prefix too): Response-Headers, the message, OK trailers', async () => {
    const frame = lengthPrefixed(checkRequestBytes());
    const a = await rawCall(session, [frame.subarray(0, 2), frame.subarray(2, 9), frame.subarray(9)]);
    expect(a.headers[':status']).toBe(200);
    expect(a.headers['content-type']).toMatch(/^application\/grpc/);
    expect(a.trailers['grpc-status']).toBe('0');
    expect(a.data.readUInt32BE(1)).toBe(a.data.length - 5);
    const res = extAuthzTypes().CheckResponse.decode(a.data.subarray(5)) as unknown as CheckResponseMessage;
    expect(res.ok_response?.headers.map((h) => h.header.key)).toEqual(Object.keys(DECISIONS.allow.headers));
    expect(decider.asked).toBe(1);
  });

  it('a content-type other than application/grpc is HTTP 415, not a gRPC answer', async () => {
    const a = await rawCall(session, [lengthPrefixed(checkRequestBytes())], {
      headers: { 'content-type': 'application/json' },
    });
    expect(a.headers[':status']).toBe(415);
    expect(a.headers['grpc-status']).toBeUndefined();
    expect(decider.asked).toBe(0);
  });

  it('another method is UNIMPLEMENTED, Trailers-Only', async () => {
    const a = await rawCall(session, [lengthPrefixed(checkRequestBytes())], {
      headers: { ':path': '/envoy.service.auth.v2.Authorization/Check' },
    });
    expectTrailersOnly(a, GrpcStatus.UNIMPLEMENTED, /does not implement the method \/envoy\.service\.auth\.v2/);
  });

  it('bytes that are not a CheckRequest are INTERNAL with a grpc-message, and nothing is decided', async () => {
    const a = await rawCall(session, [lengthPrefixed(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]))]);
    expectTrailersOnly(a, GrpcStatus.INTERNAL, /^Error deserializing request: /);
    expect(decider.asked).toBe(0);
  });

  it('two messages in one DATA frame are UNIMPLEMENTED (a unary method); none at all too', async () => {
    const frame = lengthPrefixed(checkRequestBytes());
    expectTrailersOnly(await rawCall(session, [Buffer.concat([frame, frame])]), GrpcStatus.UNIMPLEMENTED);
    expectTrailersOnly(await rawCall(session, []), GrpcStatus.UNIMPLEMENTED, /no request message/);
    expect(decider.asked).toBe(0);
  });

  it('a stream that ends inside its message is INTERNAL', async () => {
    const frame = lengthPrefixed(checkRequestBytes());
    expectTrailersOnly(await rawCall(session, [frame.subarray(0, 20)]), GrpcStatus.INTERNAL, /ended inside/);
  });

  it('a message announced larger than the bound is RESOURCE_EXHAUSTED at once, then RST_STREAM NO_ERROR', async () => {
    const prefix = Buffer.from([0, 0, 0, 0, 0]);
    prefix.writeUInt32BE(MAX_CHECK_REQUEST_BYTES + 1, 1);
    // The body is never sent nor ended: the answer comes from the prefix alone.
    const a = await rawCall(session, [prefix], { end: false });
    expectTrailersOnly(a, GrpcStatus.RESOURCE_EXHAUSTED, /larger than max/);
    expect(a.rstCode).toBe(constants.NGHTTP2_NO_ERROR);
  });

  it('reads a gzip message; a Compressed-Flag without grpc-encoding is INTERNAL; snappy is UNIMPLEMENTED', async () => {
    const gz = lengthPrefixed(gzipSync(checkRequestBytes()));
    gz[0] = 1;
    const ok = await rawCall(session, [gz], { headers: { 'grpc-encoding': 'gzip' } });
    expect(ok.trailers['grpc-status']).toBe('0');
    expect(decider.asked).toBe(1);
    expectTrailersOnly(await rawCall(session, [gz]), GrpcStatus.INTERNAL, /Compressed-Flag/);
    const snappy = await rawCall(session, [gz], { headers: { 'grpc-encoding': 'snappy' } });
    expectTrailersOnly(snappy, GrpcStatus.UNIMPLEMENTED, /unsupported encoding "snappy"/);
    expect(snappy.headers['grpc-accept-encoding']).toBe('identity,deflate,gzip');
  });

  it('grpc-timeout: malformed is INTERNAL; an answer ready after the deadline is DEADLINE_EXCEEDED', async () => {
    const frame = lengthPrefixed(checkRequestBytes());
    expectTrailersOnly(
      await rawCall(session, [frame], { headers: { 'grpc-timeout': '2 seconds' } }),
      GrpcStatus.INTERNAL
    );
    answer = () => new Promise((resolve) => setTimeout(() => resolve(DECISIONS.allow), 50));
    const late = await rawCall(session, [frame], { headers: { 'grpc-timeout': '10m' } });
    expectTrailersOnly(late, GrpcStatus.DEADLINE_EXCEEDED);
    const inTime = await rawCall(session, [frame], { headers: { 'grpc-timeout': '5S' } });
    expect(inTime.trailers['grpc-status']).toBe('0');
  });

  it('a caller that resets the stream before its answer leaves the door answering the next call', async () => {
    answer = () => new Promise((resolve) => setTimeout(() => resolve(DECISIONS.allow), 50));
    const req = session.request({ ':method': 'POST', ':path': CHECK_METHOD_PATH, 'content-type': 'application/grpc' });
    req.on('error', () => {});
    req.end(lengthPrefixed(checkRequestBytes()));
    await new Promise((r) => setTimeout(r, 10));
    req.close(constants.NGHTTP2_CANCEL);
    await new Promise((r) => setTimeout(r, 80));
    answer = () => Promise.resolve(DECISIONS.allow);
    expect(statusOf(await rawCall(session, [lengthPrefixed(checkRequestBytes())]))).toBe(GrpcStatus.OK);
  });

  it('a connection that does not speak HTTP/2 gets a GOAWAY, and the door answers the next caller', async () => {
    const socket = netConnect(door.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write('POST /envoy.service.auth.v3.Authorization/Check HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n');
    let received = Buffer.alloc(0);
    // The server's frames: SETTINGS, then GOAWAY (type 7) with PROTOCOL_ERROR for the bad connection preface.
    await new Promise<void>((resolve) =>
      socket.on('data', (d: Buffer) => {
        received = Buffer.concat([received, d]);
        if (hasFrame(received, 7)) resolve();
      })
    );
    socket.destroy();
    expect(statusOf(await rawCall(session, [lengthPrefixed(checkRequestBytes())]))).toBe(GrpcStatus.OK);
  });

  it('percent-encodes a grpc-message that is not plain ASCII', async () => {
    const a = await rawCall(session, [lengthPrefixed(checkRequestBytes())], {
      headers: { ':path': '/envoy.service.auth.v3.Authorization/Chéck' },
    });
    expect(a.headers['grpc-message']).toBe(
      'The server does not implement the method /envoy.service.auth.v3.Authorization/Ch%C3%A9ck'
    );
  });
});
