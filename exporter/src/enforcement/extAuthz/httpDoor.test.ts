import { createServer, request, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthConfig, hashToken, OPEN_AUTH } from '../../auth/apiTokens';
import type { Logger } from '../../log';
import { CHAT_REQUEST, DECISIONS, envoyHttpCheck, ScriptedDecider } from '../../../test/envoyExtAuthz';
import { MAX_FORWARDED_BODY_BYTES, originalPath, withHttpDoor } from './httpDoor';

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

const TOKENS: AuthConfig = {
  api: 'required',
  metrics: 'open',
  tokens: [
    { name: 'envoy', sha256: Buffer.from(hashToken('envoy-secret'), 'hex'), role: 'ingest', scope: undefined },
    { name: 'alice', sha256: Buffer.from(hashToken('alice-secret'), 'hex'), role: 'scoped', scope: { user: 'alice' } },
  ],
};

describe('ext_authz HTTP door (requests shaped as Envoy http_service sends them, real HTTP on 127.0.0.1)', () => {
  let server: Server;
  let base: string;
  let decider: ScriptedDecider;
  let auth: AuthConfig;

  beforeAll(async () => {
    decider = new ScriptedDecider(DECISIONS.allow);
    // What serve puts behind the door: its Express app, here a stand-in that says it answered.
    const rest = (_req: unknown, res: ServerResponse) => res.writeHead(404).end('rest');
    server = createServer(withHttpDoor(rest, { decider: () => decider, auth: () => auth, log: quiet }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    auth = OPEN_AUTH;
    decider.asked.length = 0;
    decider.answer = DECISIONS.allow;
  });

  it('hands the decision the forwarded headers, the original method and path, x-request-id and the JSON body', async () => {
    const res = await envoyHttpCheck(base, { ...CHAT_REQUEST, path: '/v1/chat/completions?stream=false' });
    expect(res.status).toBe(200);
    const asked = decider.asked[0]!;
    expect(asked.requestId).toBe(CHAT_REQUEST.headers['x-request-id']);
    expect(asked.headers).toMatchObject({
      ':method': 'POST',
      ':path': '/v1/chat/completions?stream=false',
      ':authority': 'llm.example.com',
      authorization: CHAT_REQUEST.headers.authorization,
      'x-user-id': 'alice',
    });
    expect({ ...(asked.body as object) }).toEqual({ model: 'gpt-4o-mini', max_tokens: 256 }); // the prompt is not read
  });

  it('leaves every other path to the app behind it', async () => {
    for (const path of ['/metrics', '/ext_authzx', '/api/v1/check']) {
      const status = await new Promise<number>((resolve, reject) =>
        request(`${base}${path}`, (res) => {
          res.resume();
          resolve(res.statusCode!);
        })
          .on('error', reject)
          .end()
      );
      expect(status).toBe(404);
    }
    expect(decider.asked).toHaveLength(0);
  });

  it('answers whatever method the client used, also without a body and on the bare prefix', async () => {
    const res = await envoyHttpCheck(base, { ...CHAT_REQUEST, method: 'GET', path: '', body: undefined });
    expect(res.status).toBe(200);
    expect(decider.asked[0]!.headers[':method']).toBe('GET');
    expect(decider.asked[0]!.headers[':path']).toBe('/');
    expect(decider.asked[0]!.body).toBeUndefined();
  });

  it('a body that is not JSON is decided on without a body; one cut by Envoy, on the members before the cut', async () => {
    await envoyHttpCheck(base, { ...CHAT_REQUEST, body: 'model=gpt-4o-mini' });
    await envoyHttpCheck(base, { ...CHAT_REQUEST, body: CHAT_REQUEST.body!.slice(0, 30) });
    expect(decider.asked.map((r) => r.body && { ...r.body })).toEqual([undefined, { model: 'gpt-4o-mini' }]);
  });

  it('a body beyond what the door reads is decided on without it, not refused', async () => {
    const big = JSON.stringify({ model: 'gpt-4o-mini', pad: 'x'.repeat(MAX_FORWARDED_BODY_BYTES) });
    const res = await envoyHttpCheck(base, { ...CHAT_REQUEST, body: big });
    expect(res.status).toBe(200);
    expect(decider.asked[0]!.body).toBeUndefined();
  });

  it('allow: 200 with the x-ratelimit-* headers and no body', async () => {
    const res = await envoyHttpCheck(base, CHAT_REQUEST);
    expect(res.status).toBe(200);
    for (const [k, v] of Object.entries(DECISIONS.allow.headers)) expect(res.headers[k]).toBe(v);
    expect(res.body).toBe('');
  });

  it('warn: 200, and which budget is over', async () => {
    decider.answer = DECISIONS.warn;
    const res = await envoyHttpCheck(base, CHAT_REQUEST);
    expect(res.status).toBe(200);
    expect(res.headers['x-tokenledger-warning']).toBe('team ml monthly is over its limit (warn)');
  });

  it('block: 429 with retry-after and a JSON body Envoy passes to the client', async () => {
    decider.answer = DECISIONS.block;
    const res = await envoyHttpCheck(base, CHAT_REQUEST);
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('86400');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(res.body)).toEqual({
      error: { message: DECISIONS.block.reason, type: 'budget_exceeded', code: 429 },
    });
  });

  it('fail closed: 503 with retry-after', async () => {
    decider.answer = DECISIONS.failClosed;
    const res = await envoyHttpCheck(base, CHAT_REQUEST);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('30');
    expect(JSON.parse(res.body).error.type).toBe('budget_unavailable');
  });

  it('a decision that fails is a 500 (Envoy: an error, failure_mode_allow decides)', async () => {
    decider.answer = new Error('ledger state unreadable');
    const res = await envoyHttpCheck(base, CHAT_REQUEST);
    expect(res.status).toBe(500);
  });

  describe('with tokens configured', () => {
    beforeEach(() => (auth = TOKENS));

    it("refuses a call without a token, also when the client's own Authorization is a valid token", async () => {
      const request = { ...CHAT_REQUEST, headers: { ...CHAT_REQUEST.headers, authorization: 'Bearer envoy-secret' } };
      const res = await envoyHttpCheck(base, request);
      expect(res.status).toBe(401);
      expect(decider.asked).toHaveLength(0);
    });

    it('refuses a token scoped to a user (403)', async () => {
      const res = await envoyHttpCheck(base, CHAT_REQUEST, { token: 'alice-secret' });
      expect(res.status).toBe(403);
    });

    it('answers the token Envoy adds (headers_to_add), and does not show it to the decision', async () => {
      const res = await envoyHttpCheck(base, CHAT_REQUEST, { token: 'envoy-secret' });
      expect(res.status).toBe(200);
      expect(Object.keys(decider.asked[0]!.headers)).not.toContain('x-tokenledger-authorization');
    });
  });
});

describe('the original path of a call to the HTTP door', () => {
  it('is what follows /ext_authz, query included; other paths are not the door', () => {
    expect(originalPath('/ext_authz/v1/chat/completions?x=1')).toBe('/v1/chat/completions?x=1');
    expect(originalPath('/ext_authz')).toBe('/');
    expect(originalPath('/ext_authz?x=1')).toBe('/?x=1');
    expect(originalPath('/ext_authzx')).toBeUndefined();
    expect(originalPath('/metrics')).toBeUndefined();
    expect(originalPath(undefined)).toBeUndefined();
  });
});
