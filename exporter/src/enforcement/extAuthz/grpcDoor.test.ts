import * as grpc from '@grpc/grpc-js';
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
import { TOKEN_CONTEXT_EXTENSION } from './callers';
import { GrpcDoor } from './grpcDoor';
import { OVERWRITE_IF_EXISTS_OR_ADD, RpcCode } from './protos';

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
    expect(asked.body).toEqual(JSON.parse(CHAT_REQUEST.body!));
  });

  it('reads the body from raw_body (pack_as_bytes) and the headers from header_map (encode_raw_headers)', async () => {
    await client.check(envoyCheckRequest(CHAT_REQUEST, { packAsBytes: true, encodeRawHeaders: true }));
    const asked = decider.asked[0]!;
    expect(asked.requestId).toBe(CHAT_REQUEST.headers['x-request-id']);
    expect(asked.headers['x-user-id']).toBe('alice');
    expect(asked.body).toEqual(JSON.parse(CHAT_REQUEST.body!));
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
