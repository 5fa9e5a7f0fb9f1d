import { createWriteStream } from 'node:fs';

/**
 * Writes a deterministic LiteLLM StandardLoggingPayload log (one JSON object per line): 500 users, 1000 keys,
 * 20 teams, 4 tiers, 6 models, 4 % failures. `contentBytes` > 0 adds `messages` and `response` with that
 * much text, as LiteLLM logs them unless message logging is turned off (TokenLedger never keeps them).
 */
export async function generateLitellmLog(path: string, lines: number, contentBytes = 0): Promise<number> {
  const filler = 'lorem ipsum dolor sit amet consectetur adipiscing elit '
    .repeat(Math.ceil(contentBytes / 55))
    .slice(0, contentBytes);
  let seed = 42;
  const rnd = (): number => {
    seed = (seed + 0x6d2b79f5) | 0; // mulberry32
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  // Random like the ids gateways write (LiteLLM: chatcmpl-<uuid4>): sortable ids would flatter any index on them.
  const hex8 = (): string =>
    Math.floor(rnd() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  const uuid = (): string => {
    const h = hex8() + hex8() + hex8() + hex8();
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };
  const models = [
    'gpt-4o',
    'gpt-4o-mini',
    'claude-sonnet-4-5',
    'claude-haiku-4-5',
    'o4-mini',
    'llama-3.1-70b-instruct',
  ];
  const tiers = ['free', 'standard', 'premium', 'enterprise'];
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  const t0 = Date.parse('2025-01-01T00:00:00Z') / 1000;
  let bytes = 0;
  let chunk: string[] = [];
  for (let i = 0; i < lines; i++) {
    const u = Math.floor(rnd() * 500);
    const key = u * 2 + (rnd() < 0.5 ? 0 : 1);
    const failed = rnd() < 0.04;
    const prompt = failed ? 0 : Math.floor(rnd() * 4000);
    const completion = failed ? 0 : Math.floor(rnd() * 1000);
    const cached = Math.floor(prompt * rnd() * 0.5);
    const start = t0 + i * 0.05;
    const line = JSON.stringify({
      id: `chatcmpl-${uuid()}`,
      trace_id: `trace-${i.toString(36)}`,
      call_type: 'acompletion',
      stream: rnd() < 0.5,
      response_cost: 0.001,
      status: failed ? 'failure' : 'success',
      custom_llm_provider: 'openai',
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      startTime: start,
      endTime: start + rnd() * 20,
      completionStartTime: start + rnd(),
      model: models[Math.floor(rnd() * models.length)],
      model_group: 'group',
      api_base: 'https://api.openai.com/v1/chat/completions',
      metadata: {
        user_api_key_hash: `${key.toString(16).padStart(8, '0')}${'ab'.repeat(28)}`,
        user_api_key_alias: `key-${key}`,
        user_api_key_team_id: `team-${u % 20}`,
        user_api_key_user_id: `user-${String(u).padStart(4, '0')}@example.com`,
        user_api_key_team_alias: `team-${u % 20}`,
        requester_ip_address: '10.0.3.17',
        usage_object: {
          prompt_tokens: prompt,
          completion_tokens: completion,
          total_tokens: prompt + completion,
          prompt_tokens_details: { cached_tokens: cached },
          completion_tokens_details: { reasoning_tokens: 0 },
        },
      },
      cache_hit: false,
      request_tags: [`tier:${tiers[u % 4]}`],
      error_str: failed ? 'RateLimitError: slow down' : null,
      hidden_params: { model_id: 'deployment-1', api_base: 'https://api.openai.com/v1' },
      ...(contentBytes
        ? {
            messages: [
              { role: 'system', content: 'You are helpful.' },
              { role: 'user', content: filler.slice(0, contentBytes / 2) },
            ],
            response: { choices: [{ message: { role: 'assistant', content: filler.slice(contentBytes / 2) } }] },
          }
        : {}),
    });
    chunk.push(line);
    bytes += line.length + 1;
    if (chunk.length === 10000) {
      if (!out.write(`${chunk.join('\n')}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
      chunk = [];
    }
  }
  if (chunk.length) out.write(`${chunk.join('\n')}\n`);
  await new Promise<void>((r) => out.end(r));
  return bytes;
}
