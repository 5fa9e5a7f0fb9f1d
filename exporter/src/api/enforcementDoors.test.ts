import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthConfig, hashToken, OPEN_AUTH } from '../auth/apiTokens';
import type { CheckRequest, Decider, Decision } from '../enforcement/decider';
import type { Logger } from '../log';
import { enforcementDoors, LITELLM_GUARDRAIL_PATH } from './enforcementDoors';

// The enforcement doors in process, on 127.0.0.1: what each door hands the decider of a gateway's request, and how
// it answers with the decision. The decider here answers what a test sets and keeps what it was asked; the real
// one (budgets, reservations) is tested in enforcement/ and, through `serve`, in test/enforcement.test.ts.

class SetDecider implements Decider {
  asked: CheckRequest[] = [];
  answer: Decision | Error = ALLOW;
  check(request: CheckRequest): Promise<Decision> {
    this.asked.push(request);
    return this.answer instanceof Error ? Promise.reject(this.answer) : Promise.resolve(this.answer);
  }
}

const ALLOW: Decision = { kind: 'allow', status: 200, headers: { 'x-ratelimit-remaining-usd': '12.5' }, reason: 'ok' };
const WARN: Decision = { kind: 'warn', status: 200, headers: {}, reason: 'team t1 is at 91 % of its budget' };
const BLOCK: Decision = {
  kind: 'block',
  status: 429,
  headers: { 'retry-after': '3600', 'x-tokenledger-budget': 'team-t1' },
  reason: 'team t1 spent its 100 USD for the month',
};

const TOKENS = { admin: 'tl_admin_secret', ingest: 'tl_ingest_secret', reader: 'tl_reader_secret' };
const WITH_TOKENS: AuthConfig = {
  tokens: [
    { name: 'admin', sha256: Buffer.from(hashToken(TOKENS.admin), 'hex'), role: 'admin', scope: undefined },
    { name: 'gateway', sha256: Buffer.from(hashToken(TOKENS.ingest), 'hex'), role: 'ingest', scope: undefined },
    { name: 'eng', sha256: Buffer.from(hashToken(TOKENS.reader), 'hex'), role: 'scoped', scope: { team: 't1' } },
  ],
  api: 'required',
  metrics: 'required',
};

let server: Server;
let base = '';
let decider: SetDecider;
let auth: AuthConfig;
const logged: string[] = [];
const log: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: (m) => logged.push(m) };

beforeAll(async () => {
  const app = express();
  app.use(enforcementDoors({ decider: { check: (r) => decider.check(r) }, auth: () => auth, log }));
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => {
  decider = new SetDecider();
  auth = OPEN_AUTH;
  logged.length = 0;
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const check = (body: unknown, headers?: Record<string, string>) => post('/api/v1/check', body, headers);
const guardrail = (body: unknown, headers?: Record<string, string>) => post(LITELLM_GUARDRAIL_PATH, body, headers);

describe('POST /api/v1/check', () => {
  it("hands the decider the request id, the headers (names lower-cased) and the body, and answers with the decision's status and headers", async () => {
    decider.answer = BLOCK;
    const body = { model: 'gpt-4o', max_tokens: 500, user: 'ann' };
    const res = await check({ request_id: 'req-1', headers: { 'X-User-Id': 'ann', 'x-team-id': 't1' }, body });
    expect(decider.asked).toEqual([{ requestId: 'req-1', headers: { 'x-user-id': 'ann', 'x-team-id': 't1' }, body }]);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3600');
    expect(res.headers.get('x-tokenledger-budget')).toBe('team-t1');
    expect(await res.json()).toEqual({ decision: 'block', reason: BLOCK.reason, headers: BLOCK.headers });
  });

  it('takes the request id from the x-request-id header when it has none of its own; headers and body may be left out', async () => {
    const res = await check({ headers: { 'X-Request-Id': 'from-header' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-remaining-usd')).toBe('12.5');
    expect(await res.json()).toEqual({ decision: 'allow', reason: 'ok', headers: ALLOW.headers });
    await check({ request_id: null, headers: null });
    expect(decider.asked).toEqual([
      { requestId: 'from-header', headers: { 'x-request-id': 'from-header' }, body: undefined },
      { requestId: undefined, headers: {}, body: undefined },
    ]);
  });

  it.each([
    [{ request_id: 'r', extra: 1 }, 'extra: unknown field; expected request_id, headers, body'],
    [{ headers: ['x-user-id', 'ann'] }, 'headers: expected an object of header names to strings'],
    [{ headers: 'x-user-id: ann' }, 'headers: expected an object of header names to strings'],
    [{ headers: { 'x-user-id': 7 } }, 'headers.x-user-id: expected a string'],
    [{ request_id: '' }, 'request_id: expected a non-empty string'],
    [{ request_id: 42 }, 'request_id: expected a non-empty string'],
    [[{ request_id: 'r' }], 'expected a JSON object (Content-Type: application/json)'],
    ['{"request_id": ', 'body is not valid JSON'],
    ['"req-1"', 'body is not valid JSON'], // JSON, but only an object or an array is read
  ])('refuses %j with 400 and says why, asking the decider nothing', async (body, error) => {
    const res = await check(body);
    expect([res.status, await res.json()]).toEqual([400, { error }]);
    expect(decider.asked).toEqual([]);
  });

  it('refuses a body sent without Content-Type: application/json', async () => {
    const res = await fetch(`${base}/api/v1/check`, { method: 'POST', body: '{"request_id": "r"}' });
    expect([res.status, await res.json()]).toEqual([
      400,
      { error: 'expected a JSON object (Content-Type: application/json)' },
    ]);
    expect(decider.asked).toEqual([]);
  });

  it('refuses a body over 10 MB with 413', async () => {
    const res = await check({ body: { padding: 'x'.repeat(10 * 1024 * 1024) } });
    expect([res.status, await res.json()]).toEqual([413, { error: 'body larger than 10mb' }]);
    expect(decider.asked).toEqual([]);
  });

  it('answers 500 without the error when the decider fails, and logs it', async () => {
    decider.answer = new Error('ledger gone away');
    const res = await check({ request_id: 'r' });
    expect([res.status, await res.json()]).toEqual([500, { error: 'internal error; see the exporter log' }]);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/^enforcement door error: Error: ledger gone away\n\s+at /); // with its stack
  });
});

describe('who may ask the doors for decisions', () => {
  beforeEach(() => (auth = WITH_TOKENS));

  it('with tokens configured, nobody without one (401, with the Bearer challenge)', async () => {
    for (const res of [await check({ request_id: 'r' }), await guardrail({ input_type: 'request' })]) {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="tokenledger"');
      expect((await res.json()) as { error: string }).toEqual({
        error: expect.stringMatching(/^missing or invalid token/),
      });
    }
    expect(decider.asked).toEqual([]);
  });

  it('nor a scoped reader (403, no challenge)', async () => {
    const res = await check({ request_id: 'r' }, { authorization: `Bearer ${TOKENS.reader}` });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toBeNull();
    expect(decider.asked).toEqual([]);
  });

  it("a gateway's ingest token or an admin token, as Authorization: Bearer or as LiteLLM's x-api-key", async () => {
    expect((await check({ request_id: 'a' }, { authorization: `Bearer ${TOKENS.admin}` })).status).toBe(200);
    expect((await check({ request_id: 'b' }, { 'x-api-key': TOKENS.ingest })).status).toBe(200);
    expect((await guardrail({ input_type: 'request' }, { 'x-api-key': TOKENS.admin })).status).toBe(200);
    expect((await check({ request_id: 'c' }, { 'x-api-key': 'tl_wrong' })).status).toBe(401);
    expect(decider.asked.map((r) => r.requestId)).toEqual(['a', 'b', undefined]);
  });
});

describe("LiteLLM's Generic Guardrail API", () => {
  const payload = {
    input_type: 'request',
    litellm_call_id: 'call-1',
    model: 'gpt-4o',
    texts: ['never read'],
    request_data: {
      user_api_key_hash: 'a1b2c3',
      user_api_key_alias: 'ann-laptop',
      user_api_key_user_id: 'ann',
      user_api_key_team_id: 'team-id-1',
      user_api_key_team_alias: 't1',
    },
    additional_provider_specific_params: { max_tokens: 300 },
  };

  it("hands the decider the key's identity as the subject headers, the call id and the model", async () => {
    const res = await guardrail(payload);
    expect([res.status, await res.json()]).toEqual([200, { action: 'NONE' }]);
    expect(decider.asked).toEqual([
      {
        requestId: 'call-1',
        headers: {
          'x-api-key-id': 'a1b2c3',
          'x-api-key-alias': 'ann-laptop',
          'x-user-id': 'ann',
          'x-team-id': 't1',
        },
        body: { model: 'gpt-4o', max_tokens: 300 },
      },
    ]);
  });

  it("takes the team's id without its alias, and reads empty or missing fields as absent", async () => {
    await guardrail({
      input_type: 'request',
      litellm_call_id: '',
      model: '',
      request_data: { user_api_key_hash: '', user_api_key_user_id: 7, user_api_key_team_id: 'team-id-1' },
    });
    await guardrail({ input_type: 'request' });
    const absent = { 'x-api-key-id': undefined, 'x-api-key-alias': undefined, 'x-user-id': undefined };
    expect(decider.asked).toEqual([
      {
        requestId: undefined,
        headers: { ...absent, 'x-team-id': 'team-id-1' },
        body: { model: undefined, max_tokens: undefined },
      },
      {
        requestId: undefined,
        headers: { ...absent, 'x-team-id': undefined },
        body: { model: undefined, max_tokens: undefined },
      },
    ]);
  });

  it('blocks with the reason, in a 200 answer (LiteLLM takes any other status for a failed guardrail); a warning passes', async () => {
    decider.answer = BLOCK;
    const blocked = await guardrail(payload);
    expect([blocked.status, await blocked.json()]).toEqual([200, { action: 'BLOCKED', blocked_reason: BLOCK.reason }]);
    decider.answer = WARN;
    const warned = await guardrail(payload);
    expect([warned.status, await warned.json()]).toEqual([200, { action: 'NONE' }]);
  });

  it('answers the response-side hook with NONE, asking the decider nothing', async () => {
    decider.answer = BLOCK;
    const res = await guardrail({ ...payload, input_type: 'response' });
    expect([res.status, await res.json()]).toEqual([200, { action: 'NONE' }]);
    expect(decider.asked).toEqual([]);
  });

  it('refuses a payload that is not a JSON object', async () => {
    const res = await guardrail([payload]);
    expect([res.status, await res.json()]).toEqual([
      400,
      { error: 'expected a JSON object (Content-Type: application/json)' },
    ]);
  });
});
