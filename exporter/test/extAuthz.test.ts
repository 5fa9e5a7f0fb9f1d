import * as grpc from '@grpc/grpc-js';
import { once } from 'node:events';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { hashToken } from '../src/auth/apiTokens';
import { TOKEN_CONTEXT_EXTENSION } from '../src/enforcement/extAuthz/callers';
import type { CheckResponseMessage } from '../src/enforcement/extAuthz/checkMessages';
import { RpcCode } from '../src/enforcement/extAuthz/protos';
import { freePort } from './daemons';
import { logSpend, writeServeConfig } from './enforcementHarness';
import {
  AuthorizationClient,
  bearerMetadata,
  ClientRequest,
  envoyCheckRequest,
  envoyHttpCheck,
  HttpAnswer,
  rpcCodeOf,
} from './envoyExtAuthz';
import { requireBuiltCli, runCli, ServeProcess, tempDir, waitFor } from './helpers';
import { RunningPostgres, startPostgres } from './postgres';

// Envoy's ext_authz doors of a real `serve` (the built CLI): the gRPC door on enforcement.grpc_listen asked by a
// grpc-js client over the ext_authz protos, the HTTP door under /ext_authz asked as Envoy's http_service asks,
// both deciding on budgets that usage records in a followed LiteLLM log (test/enforcementHarness.ts) fill.

const ENVOY = 'ingest-token-for-ext-authz';
const SCOPED = 'scoped-token-for-ext-authz';
const AUTH = `auth:\n  tokens:\n    - { name: envoy, role: ingest, sha256: ${hashToken(ENVOY)} }\n    - { name: eng, team: eng, sha256: ${hashToken(SCOPED)} }`;
const TEAM_BUDGET = (team: string, limit: string, more = '') =>
  `{ scope: team, subject: ${team}, period: monthly, limit_usd: "${limit}", enforce: block${more} }`;

/** A chat request of team `team` as it reaches Envoy; m1 and max_tokens 1000 make the estimate 0.002 USD. */
function chat(requestId: string, team = 'eng'): ClientRequest {
  return {
    method: 'POST',
    path: '/v1/chat/completions',
    host: 'llm.example.com',
    headers: {
      authorization: 'Bearer sk-client-key-of-ann',
      'content-type': 'application/json',
      'x-request-id': requestId,
      'x-user-id': 'ann',
      'x-team-id': team,
    },
    body: JSON.stringify({ model: 'm1', max_tokens: 1000, messages: [{ role: 'user', content: 'hi' }] }),
  };
}

const toClient = (r: CheckResponseMessage) =>
  Object.fromEntries((r.ok_response?.response_headers_to_add ?? []).map((h) => [h.header.key, h.header.value]));
const deniedHeaders = (r: CheckResponseMessage) =>
  Object.fromEntries((r.denied_response?.headers ?? []).map((h) => [h.header.key, h.header.value]));

/** Waits until a metric's samples matching `labels` sum to `value`. */
function metricReaches(
  serve: ServeProcess,
  name: string,
  labels: Record<string, string>,
  value: number
): Promise<true> {
  return waitFor(`${name} ${JSON.stringify(labels)} to be ${value}`, async () =>
    Math.abs((await serve.metricSum(name, labels)) - value) < 1e-9 ? true : undefined
  );
}

describe('Envoy ext_authz doors of a real serve', () => {
  let dir: string;
  let serve: ServeProcess | undefined;
  let client: AuthorizationClient | undefined;

  beforeAll(requireBuiltCli);
  beforeEach(() => {
    dir = tempDir('tl-ext-authz-');
  });
  afterEach(async () => {
    client?.close();
    client = undefined;
    await serve?.stop();
    serve = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts serve with both doors; resolves to its log file and the base URL of its HTTP door. */
  async function start(
    budgets: string[],
    o: { ledger?: string; auth?: string } = {}
  ): Promise<{ log: string; base: string }> {
    const log = join(dir, 'gw.log');
    writeFileSync(log, '');
    const grpcPort = await freePort();
    const config = writeServeConfig(dir, 'tokenledger.yaml', {
      ledger: o.ledger ?? 'ledger.duckdb',
      logFile: 'gw.log',
      budgets,
      enforcement: `enforcement:\n  grpc_listen: 127.0.0.1:${grpcPort}\n  stale_after: 30s\n  reservation_ttl: 5m`,
      auth: o.auth ?? AUTH,
    });
    serve = await ServeProcess.start(config);
    client = new AuthorizationClient(grpcPort);
    return { log, base: serve.baseUrl };
  }

  it('one decision behind both doors: allow, warn within the grace, block beyond it, as Envoy reads each; an x-request-id settles its reservation', async () => {
    const { log, base } = await start([TEAM_BUDGET('eng', '0.01', ', grace: 0.5')]);
    logSpend(log, 'seed', 0.004);
    await metricReaches(serve!, 'tokenledger_budget_spent_usd', { subject: 'eng' }, 0.004);
    await new Promise((r) => setTimeout(r, 300)); // the enforcer reads the ledger right after the same commit
    const md = bearerMetadata(ENVOY);
    const http = (id: string) => envoyHttpCheck(base, chat(id), { token: ENVOY });

    // 0.004 spent; each request reserves 0.002: three fit the 0.01 limit, two more the grace (to 0.015).
    const first = await client!.check(envoyCheckRequest(chat('req-1')), md);
    expect(rpcCodeOf(first)).toBe(RpcCode.OK);
    expect(toClient(first)).toMatchObject({
      'x-ratelimit-limit': '0.010000000000',
      'x-ratelimit-remaining': '0.004000000000',
    });
    expect(first.ok_response!.headers.map((h) => h.header.key)).toContain('x-ratelimit-remaining');
    expect((await http('req-2')).status).toBe(200);
    expect(rpcCodeOf(await client!.check(envoyCheckRequest(chat('req-3')), md))).toBe(RpcCode.OK);

    const warnedOverHttp = await http('req-4');
    expect(warnedOverHttp.status).toBe(200);
    expect(warnedOverHttp.headers['x-tokenledger-warning']).toMatch(/team\/eng\/monthly is over its limit/);
    const warnedOverGrpc = await client!.check(envoyCheckRequest(chat('req-5')), md);
    expect(rpcCodeOf(warnedOverGrpc)).toBe(RpcCode.OK);
    expect(toClient(warnedOverGrpc)['x-tokenledger-warning']).toMatch(/team\/eng\/monthly is over its limit/);

    const blockedOverHttp = await http('req-6');
    expect(blockedOverHttp.status).toBe(429);
    expect(Number(blockedOverHttp.headers['retry-after'])).toBeGreaterThan(0);
    expect(JSON.parse(blockedOverHttp.body).error).toMatchObject({ type: 'budget_exceeded', code: 429 });
    const blockedOverGrpc = await client!.check(envoyCheckRequest(chat('req-7')), md);
    expect(rpcCodeOf(blockedOverGrpc)).toBe(RpcCode.RESOURCE_EXHAUSTED);
    expect(blockedOverGrpc.denied_response!.status.code).toBe(429);
    expect(deniedHeaders(blockedOverGrpc)).toMatchObject({ 'x-tokenledger-budget': 'team/eng/monthly' });
    expect(Number(deniedHeaders(blockedOverGrpc)['retry-after'])).toBeGreaterThan(0);
    await metricReaches(serve!, 'tokenledger_enforcement_open_reservations', { subject: 'eng' }, 5);

    // req-1 (asked over gRPC, its id from the x-request-id header) cost 0.001, not 0.002: its record returns room.
    logSpend(log, 'req-1', 0.001);
    await metricReaches(serve!, 'tokenledger_enforcement_open_reservations', { subject: 'eng' }, 4);
    // 0.005 spent + 4 × 0.002 reserved + 0.002 = 0.015: exactly the grace bound, let through with a warning.
    expect(rpcCodeOf(await client!.check(envoyCheckRequest(chat('req-8')), md))).toBe(RpcCode.OK);
    expect((await http('req-9')).status).toBe(429);
  });

  it('asks Envoy for a token: gRPC metadata or context extension, the HTTP header Envoy adds; refuses scoped tokens', async () => {
    const { base } = await start([TEAM_BUDGET('eng', '1')]);
    await expect(client!.check(envoyCheckRequest(chat('a-1')))).rejects.toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });
    await expect(client!.check(envoyCheckRequest(chat('a-2')), bearerMetadata(SCOPED))).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
    });
    expect(rpcCodeOf(await client!.check(envoyCheckRequest(chat('a-3')), bearerMetadata(ENVOY)))).toBe(RpcCode.OK);
    const viaContext = envoyCheckRequest(chat('a-4'), { contextExtensions: { [TOKEN_CONTEXT_EXTENSION]: ENVOY } });
    expect(rpcCodeOf(await client!.check(viaContext))).toBe(RpcCode.OK);
    const statuses = async (...tokens: (string | undefined)[]): Promise<number[]> => {
      const answers: HttpAnswer[] = [];
      for (const [i, token] of tokens.entries()) answers.push(await envoyHttpCheck(base, chat(`h-${i}`), { token }));
      return answers.map((a) => a.status);
    };
    expect(await statuses(undefined, SCOPED, ENVOY)).toEqual([401, 403, 200]);
  });

  it('refuses to start, with a last line naming enforcement.grpc_listen, when that port is taken', async () => {
    const taken = createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    try {
      writeFileSync(join(dir, 'gw.log'), '');
      const config = writeServeConfig(dir, 'tokenledger.yaml', {
        ledger: 'ledger.duckdb',
        logFile: 'gw.log',
        budgets: [TEAM_BUDGET('eng', '1')],
        enforcement: `enforcement:\n  grpc_listen: 127.0.0.1:${(taken.address() as AddressInfo).port}`,
      });
      const r = runCli(['serve', '--config', config]);
      expect(r.status).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines[lines.length - 1]).toMatch(
        /^tokenledger serve: cannot listen on 127\.0\.0\.1:\d+ \(enforcement\.grpc_listen\): .*EADDRINUSE/
      );
      expect(r.stderr).not.toMatch(/unexpected error|grpc-js/);
    } finally {
      taken.close();
    }
  });

  describe('with the shared ledger unreachable', () => {
    let pg: RunningPostgres;
    beforeAll(async () => {
      pg = await startPostgres();
    });
    afterAll(async () => pg?.stop());

    it('fails closed with 503 over both doors for a budget that fails closed, and lets a fail-open budget through', async () => {
      const { base } = await start(
        [TEAM_BUDGET('eng', '1', ', fail: closed'), TEAM_BUDGET('ops', '1', ', fail: open')],
        { ledger: JSON.stringify(await pg.createDatabase('ext_authz_outage')) }
      );
      const md = bearerMetadata(ENVOY);
      expect(rpcCodeOf(await client!.check(envoyCheckRequest(chat('o-1')), md))).toBe(RpcCode.OK);
      await pg.kill();
      const closed = await waitFor('the gRPC door to fail closed', async () => {
        const r = await client!.check(envoyCheckRequest(chat(`o-${Date.now()}`)), md);
        return rpcCodeOf(r) === RpcCode.OK ? undefined : r;
      });
      expect(rpcCodeOf(closed)).toBe(RpcCode.UNAVAILABLE);
      expect(closed.denied_response!.status.code).toBe(503);
      expect(JSON.parse(closed.denied_response!.body).error.type).toBe('budget_unavailable');
      const overHttp = await envoyHttpCheck(base, chat('o-http'), { token: ENVOY });
      expect(overHttp.status).toBe(503);
      expect(Number(overHttp.headers['retry-after'])).toBeGreaterThan(0);
      expect(rpcCodeOf(await client!.check(envoyCheckRequest(chat('o-ops', 'ops')), md))).toBe(RpcCode.OK);
      expect((await envoyHttpCheck(base, chat('o-ops-http', 'ops'), { token: ENVOY })).status).toBe(200);
      await pg.restart();
    });
  });
});
