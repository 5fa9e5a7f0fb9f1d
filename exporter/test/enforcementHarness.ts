import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What the enforcement tests share: a price book where a request's cost is easy to reckon, a serve config with
 * enforced budgets, LiteLLM spend-log lines (the shape of test/fixtures/litellm.jsonl) and a client of
 * `POST /api/v1/check`.
 */

// m1 costs 1 USD per million tokens in and out: 1000 in + 1000 out is 0.002 USD, 2000 pico-USD per token pair.
export const PRICES = 'models:\n  m1: { prices: [{ input: 1.00, output: 1.00 }] }\n';
/** The estimate of every check below: 1000 input tokens (the default estimate) + max_tokens 1000 = 0.002 USD. */
export const ESTIMATE_USD = 0.002;

export interface ServeConfig {
  ledger: string;
  node?: string;
  logFile: string;
  budgets: string[];
  enforcement?: string;
  auth?: string;
}

export function writeServeConfig(dir: string, file: string, c: ServeConfig): string {
  writeFileSync(join(dir, 'prices.yaml'), PRICES);
  const path = join(dir, file);
  writeFileSync(
    path,
    [
      `ledger: ${c.ledger}`,
      ...(c.node ? [`node: ${c.node}`] : []),
      'prices: prices.yaml',
      'listen: 127.0.0.1:0',
      'poll_interval_ms: 50',
      `sources:\n  - { name: gw, paths: ${c.logFile}, format: litellm }`,
      `budgets:\n${c.budgets.map((b) => `  - ${b}`).join('\n')}`,
      c.enforcement ??
        'enforcement:\n  reservation_ttl: 5m\n  stale_after: 30s\n  estimates:\n    default: { input_tokens: 1000, output_tokens: 1000 }',
      c.auth ?? 'auth:\n  api: open',
      '',
    ].join('\n')
  );
  return path;
}

/** A LiteLLM spend-log line for request `id` of team eng's user `user`, `inputTokens` + `outputTokens` of m1, now. */
export function litellmLine(id: string, inputTokens: number, outputTokens: number, user = 'ann', team = 'eng'): string {
  const start = Date.now() / 1000;
  return `${JSON.stringify({
    id,
    call_type: 'acompletion',
    status: 'success',
    custom_llm_provider: 'openai',
    prompt_tokens: inputTokens,
    completion_tokens: outputTokens,
    total_tokens: inputTokens + outputTokens,
    startTime: start,
    endTime: start + 1,
    model: 'm1',
    metadata: {
      user_api_key_alias: 'k1',
      user_api_key_user_id: user,
      user_api_key_team_alias: team,
      usage_object: {
        prompt_tokens: inputTokens,
        completion_tokens: outputTokens,
        total_tokens: inputTokens + outputTokens,
      },
    },
  })}\n`;
}

/** Logs spend of `usd` (a multiple of 0.000002) for team eng as one request. */
export function logSpend(logFile: string, id: string, usd: number): void {
  const tokens = Math.round((usd * 1_000_000) / 2);
  appendFileSync(logFile, litellmLine(id, tokens, tokens));
}

export interface CheckAnswer {
  status: number;
  decision: string;
  reason: string;
  headers: Headers;
}

/** Asks serve at `baseUrl` about a request of team eng (or `headers`), as a gateway would. */
export async function check(
  baseUrl: string,
  requestId: string | undefined,
  headers: Record<string, string> = { 'x-team-id': 'eng', 'x-user-id': 'ann' },
  token?: string
): Promise<CheckAnswer> {
  const res = await fetch(`${baseUrl}/api/v1/check`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({
      ...(requestId ? { request_id: requestId } : {}),
      headers,
      body: { model: 'm1', max_tokens: 1000, messages: [{ role: 'user', content: 'hi' }] },
    }),
  });
  const body = (await res.json()) as { decision: string; reason: string };
  return { status: res.status, decision: body.decision, reason: body.reason, headers: res.headers };
}
