import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashToken } from '../src/auth/apiTokens';
import { check, ESTIMATE_USD, logSpend, writeServeConfig } from './enforcementHarness';
import { requireBuiltCli, ServeProcess, tempDir, waitFor } from './helpers';

// Budgets enforced by a real `serve` (the built CLI) over real HTTP, as a gateway asks before forwarding a
// request: POST /api/v1/check and LiteLLM's Generic Guardrail API. Usage records arrive in a LiteLLM spend log
// the serve follows, as they would from the gateway.

const ADMIN = 'admin-token-for-enforcement';
const SCOPED = 'scoped-token-for-enforcement';
const AUTH = `auth:\n  tokens:\n    - { name: gw, role: admin, sha256: ${hashToken(ADMIN)} }\n    - { name: eng, team: eng, sha256: ${hashToken(SCOPED)} }`;
const TEAM_BUDGET = (limit: string, more = '') =>
  `{ scope: team, subject: eng, period: monthly, limit_usd: "${limit}", enforce: block${more} }`;

/** Waits until the serve's budget for team eng has `usd` spent (the enforcer reads the ledger after the same commit). */
async function spentReaches(serve: ServeProcess, usd: number): Promise<void> {
  await waitFor(`team eng's spend to reach ${usd} USD`, async () => {
    const v = await serve.metricSum('tokenledger_budget_spent_usd', { subject: 'eng' });
    return Math.abs(v - usd) < 1e-9 ? true : undefined;
  });
  // The enforcer's read starts right after the commit; one refresh interval covers it in any case.
  await new Promise((r) => setTimeout(r, 300));
}

/** Waits until a metric's samples matching `labels` sum to `value` (/metrics renders at most every 500 ms). */
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

describe('budget enforcement through a real serve', () => {
  let dir: string;
  let serve: ServeProcess | undefined;

  beforeAll(requireBuiltCli);
  beforeEach(() => {
    dir = tempDir('tl-enforce-');
  });
  afterEach(async () => {
    await serve?.stop();
    serve = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(budgets: string[], enforcement?: string, auth = AUTH): Promise<{ log: string; config: string }> {
    const log = join(dir, 'gw.log');
    writeFileSync(log, '');
    const config = writeServeConfig(dir, 'tokenledger.yaml', {
      ledger: 'ledger.duckdb',
      logFile: 'gw.log',
      budgets,
      enforcement,
      auth,
    });
    serve = await ServeProcess.start(config);
    return { log, config };
  }

  it('allows, warns within the grace, blocks beyond it with 429 and retry-after; a usage record settles its reservation', async () => {
    const { log } = await start([TEAM_BUDGET('0.01', ', grace: 0.5')]);
    logSpend(log, 'seed', 0.004);
    await spentReaches(serve!, 0.004);
    const base = serve!.baseUrl;
    // 0.004 spent; each check reserves 0.002: three fit the 0.01 limit, two more the grace (to 0.015).
    const answers = [];
    for (let i = 1; i <= 6; i++) answers.push(await check(base, `req-${i}`, undefined, ADMIN));
    expect(answers.map((a) => a.decision)).toEqual(['allow', 'allow', 'allow', 'warn', 'warn', 'block']);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 429]);
    expect(answers[0]!.headers.get('x-ratelimit-limit')).toBe('0.010000000000');
    expect(answers[0]!.headers.get('x-ratelimit-remaining')).toBe('0.004000000000');
    expect(answers[3]!.headers.get('x-tokenledger-warning')).toMatch(/team\/eng\/monthly is over its limit/);
    const blocked = answers[5]!;
    expect(blocked.headers.get('x-tokenledger-budget')).toBe('team/eng/monthly');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(blocked.headers.get('retry-after')).toBe(blocked.headers.get('x-ratelimit-reset'));
    expect(blocked.reason).toMatch(/exhausted/);
    await metricReaches(serve!, 'tokenledger_enforcement_open_reservations', { subject: 'eng' }, 5);

    // req-1 cost 0.001, not its 0.002 estimate: once its record is in the ledger, 0.001 of room comes back.
    logSpend(log, 'req-1', 0.001);
    await metricReaches(serve!, 'tokenledger_enforcement_open_reservations', { subject: 'eng' }, 4);
    // 0.005 spent + 4 × 0.002 reserved + 0.002 = 0.015: exactly the grace bound, let through with a warning.
    expect((await check(base, 'req-7', undefined, ADMIN)).decision).toBe('warn');
    expect((await check(base, 'req-8', undefined, ADMIN)).decision).toBe('block');

    const decisions = 'tokenledger_enforcement_decisions_total';
    await metricReaches(serve!, decisions, { decision: 'block', scope: 'team', subject: 'eng', period: 'monthly' }, 2);
    await metricReaches(serve!, decisions, { decision: 'warn', subject: 'eng' }, 3);
    await metricReaches(serve!, decisions, { decision: 'allow', subject: 'eng' }, 3);
    // What the decisions believe was spent is what the ledger holds once a read follows the commit.
    await metricReaches(serve!, 'tokenledger_enforcement_drift_usd', { subject: 'eng' }, 0);
  });

  it("answers LiteLLM's Generic Guardrail API with NONE, then BLOCKED, from the payload LiteLLM sends", async () => {
    const { log } = await start([TEAM_BUDGET('0.005')]);
    logSpend(log, 'seed', 0.002);
    await spentReaches(serve!, 0.002);
    // GenericGuardrailAPIRequest as LiteLLM posts it (BerriAI/litellm: litellm/types/proxy/guardrails/
    // guardrail_hooks/generic_guardrail_api.py, and generic_guardrail_api.py apply_guardrail, which appends
    // /beta/litellm_basic_guardrail_api to api_base and sends its `headers`/`api_key` as x-api-key).
    const guardrail = async (callId: string) => {
      const res = await fetch(`${serve!.baseUrl}/guardrails/litellm/beta/litellm_basic_guardrail_api`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': ADMIN },
        body: JSON.stringify({
          input_type: 'request',
          litellm_call_id: callId,
          litellm_trace_id: `trace-${callId}`,
          structured_messages: [{ role: 'user', content: 'hello' }],
          images: null,
          tools: null,
          texts: ['hello'],
          request_data: {
            user_api_key_hash: 'a3c9e1f07b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e',
            user_api_key_alias: 'k1',
            user_api_key_user_id: 'ann',
            user_api_key_team_id: 'team-eng',
            user_api_key_team_alias: 'eng',
            user_api_key_end_user_id: null,
            user_api_key_org_id: null,
          },
          request_headers: { 'content-type': 'application/json', authorization: '[present]' },
          litellm_version: '1.80.0',
          additional_provider_specific_params: {},
          model: 'm1',
        }),
      });
      return { status: res.status, body: (await res.json()) as { action: string; blocked_reason?: string } };
    };
    // 0.002 spent; the default estimate (1000 + 1000 tokens, LiteLLM sends no max_tokens) is 0.002.
    expect(await guardrail('call-1')).toEqual({ status: 200, body: { action: 'NONE' } });
    const second = await guardrail('call-2');
    expect(second.status).toBe(200);
    expect(second.body.action).toBe('BLOCKED');
    expect(second.body.blocked_reason).toMatch(/team\/eng\/monthly is exhausted/);
  });

  it('lets a reservation whose usage record never comes lapse after reservation_ttl', async () => {
    await start([TEAM_BUDGET('0.004')], 'enforcement:\n  reservation_ttl: 1s');
    const base = serve!.baseUrl;
    expect((await check(base, 'a', undefined, ADMIN)).decision).toBe('allow');
    expect((await check(base, 'b', undefined, ADMIN)).decision).toBe('allow');
    expect((await check(base, 'c', undefined, ADMIN)).decision).toBe('block');
    // Expired at the next pass (every 2 s) after the TTL.
    await metricReaches(serve!, 'tokenledger_enforcement_open_reservations', { subject: 'eng' }, 0);
    expect((await check(base, 'c', undefined, ADMIN)).decision).toBe('allow');
  });

  it('takes a limit changed by a reload (SIGHUP) mid-period', async () => {
    const { log, config } = await start([TEAM_BUDGET('0.004')]);
    logSpend(log, 'seed', 0.004);
    await spentReaches(serve!, 0.004);
    expect((await check(serve!.baseUrl, 'r1', undefined, ADMIN)).decision).toBe('block');
    writeFileSync(config, readFileSync(config, 'utf8').replace('limit_usd: "0.004"', 'limit_usd: "0.01"'));
    process.kill(serve!.child.pid!, 'SIGHUP');
    await waitFor('the raised limit', async () =>
      (await check(serve!.baseUrl, 'r1', undefined, ADMIN)).decision === 'allow' ? true : undefined
    );
    expect((await check(serve!.baseUrl, 'r2', undefined, ADMIN)).headers.get('x-ratelimit-limit')).toBe(
      '0.010000000000'
    );
  });

  it('lets admin tokens ask, refuses scoped tokens (403) and callers without a token (401)', async () => {
    await start([TEAM_BUDGET('1')]);
    const base = serve!.baseUrl;
    expect((await check(base, 'r1', undefined, ADMIN)).status).toBe(200);
    expect((await check(base, 'r2', undefined, SCOPED)).status).toBe(403);
    expect((await check(base, 'r3')).status).toBe(401);
    const bad = await fetch(`${base}/api/v1/check`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: '{"headers": 5}',
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'headers: expected an object of header names to strings' });
  });

  it('keeps the estimate of a request in the headers it answers', async () => {
    await start([TEAM_BUDGET('1')]);
    const a = await check(serve!.baseUrl, 'r1', undefined, ADMIN);
    expect(Number(a.headers.get('x-ratelimit-remaining'))).toBeCloseTo(1 - ESTIMATE_USD, 12);
  });
});
