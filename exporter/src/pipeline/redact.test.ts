import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { redactedExcerpt } from './redact';

const FIXTURES = join(__dirname, '../../test/fixtures');
const fixtureLines = (name: string): string[] =>
  readFileSync(join(FIXTURES, name), 'utf8')
    .split('\n')
    .filter((l) => l.trim());
const excerpt = (o: unknown): Record<string, unknown> => JSON.parse(redactedExcerpt(JSON.stringify(o))!);

describe('redactedExcerpt', () => {
  it('removes content and secrets at any depth, keeps structure and safe identities', () => {
    const line = JSON.stringify({
      id: 'r1',
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'PRIVATE' }],
      response: { choices: [{ text: 'PRIVATE' }] },
      request: { headers: { authorization: 'Bearer sk-PRIVATE', 'x-api-key': 'sk-PRIVATE' } },
      metadata: { user_api_key_hash: 'abc123', usage_object: { prompt_tokens: 5 } },
    });
    const out = redactedExcerpt(line)!;
    expect(out).not.toContain('PRIVATE');
    expect(JSON.parse(out)).toMatchObject({
      id: 'r1',
      model: 'gpt-4o',
      messages: '[removed]',
      metadata: { user_api_key_hash: 'abc123', usage_object: { prompt_tokens: 5 } },
    });
    expect(JSON.parse(out).request).toEqual({ headers: { authorization: '[removed]', 'x-api-key': '[removed]' } });
  });

  it('keeps nothing of a line that is not JSON', () => {
    expect(redactedExcerpt('Authorization: Bearer sk-PRIVATE')).toBeUndefined();
  });

  it("removes every string of a field it does not know (the review's LiteLLM line)", () => {
    const out = excerpt({
      id: 'chatcmpl-1',
      call_type: 'acompletion',
      model: 'gpt-4o',
      message: 'SECRET MESSAGE',
      error_str: 'Provider error: prompt was SECRET PROMPT',
      requester_metadata: { query: 'SECRET QUERY', note: 'SECRET NOTE' },
      token: 'sk-RAWKEY-token',
      free_text: 'SECRET FREE TEXT',
      nested: { deeper: ['SECRET IN ARRAY', { why: 'SECRET DEEP' }] },
      metadata: { user_api_key_user_id: 'alice@example.com' },
    });
    expect(JSON.stringify(out)).not.toMatch(/SECRET|RAWKEY/);
    expect(out).toEqual({
      id: 'chatcmpl-1',
      call_type: 'acompletion',
      model: 'gpt-4o',
      message: '[removed]',
      error_str: '[removed]',
      requester_metadata: { query: '[removed]', note: '[removed]' },
      token: '[removed]',
      free_text: '[removed]',
      nested: { deeper: ['[removed]', { why: '[removed]' }] },
      metadata: { user_api_key_user_id: 'alice@example.com' },
    });
  });

  it('keeps the identity fields LiteLLM names after its api key (the old deny-list removed them)', () => {
    const out = excerpt({
      metadata: {
        user_api_key_user_id: 'alice@example.com',
        user_api_key_team_id: 'team-eng',
        user_api_key_team_alias: 'engineering',
        user_api_key_alias: 'ci-bot',
        user_api_key_org_id: null,
        user_api_key_hash: 'a3c9e1f07b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e',
        api_key: 'sk-live-RAW',
        user_api_key: 'sk-live-RAW2',
      },
    });
    expect(out.metadata).toEqual({
      user_api_key_user_id: 'alice@example.com',
      user_api_key_team_id: 'team-eng',
      user_api_key_team_alias: 'engineering',
      user_api_key_alias: 'ci-bot',
      user_api_key_org_id: null,
      user_api_key_hash: 'a3c9e1f07b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e',
      api_key: '[removed]',
      user_api_key: '[removed]',
    });
  });

  it('keeps numbers, booleans and null, and removes whole values of content and credential keys', () => {
    const out = excerpt({
      prompt_tokens: 12,
      completion_token: 3,
      response_cost: 0.01,
      stream: true,
      error_str: null,
      password: 123456,
      prompt: ['a', 'b'],
      choices: [{ index: 0 }],
    });
    expect(out).toEqual({
      prompt_tokens: 12,
      completion_token: 3,
      response_cost: 0.01,
      stream: true,
      error_str: null,
      password: '[removed]',
      prompt: '[removed]',
      choices: '[removed]',
    });
  });

  it("removes a safe field's value when it looks like a secret or is too long", () => {
    const out = excerpt({
      user: 'sk-proj-abc',
      team: 'Bearer abcdef',
      id: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig',
      x_request_id: 'Zx9Qm2LpR7vT4kWn8sYb3HcJ',
      user_id: 'k'.repeat(201),
      alias: 'x'.repeat(200),
      request_id: '3a7f0c9e1b2d4e6f8a0b1c2d3e4f5a6b',
      consumer_id: '9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d',
      model: 'Meta-Llama-3.1-70B-Instruct',
    });
    expect(out).toEqual({
      user: '[removed]',
      team: '[removed]',
      id: '[removed]',
      x_request_id: '[removed]',
      user_id: '[removed]',
      alias: 'x'.repeat(200),
      request_id: '3a7f0c9e1b2d4e6f8a0b1c2d3e4f5a6b',
      consumer_id: '9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d',
      model: 'Meta-Llama-3.1-70B-Instruct',
    });
  });

  it('keeps a tags array under a safe key and removes strings with no key', () => {
    expect(excerpt({ request_tags: ['tier:gold'], consumer: { tags: ['team:eng'] } })).toEqual({
      request_tags: ['tier:gold'],
      consumer: { tags: ['team:eng'] },
    });
    expect(redactedExcerpt('"sk-live-SECRET"')).toBe('"[removed]"');
    expect(redactedExcerpt('["a", 1]')).toBe('["[removed]",1]');
  });

  it('renames keys that look like credentials or are very long, and treats __proto__ as a plain key', () => {
    const out = redactedExcerpt(`{"sk-live-KEYASNAME":1,"${'k'.repeat(101)}":2,"__proto__":{"id":"p1"}}`)!;
    expect(out).not.toContain('KEYASNAME');
    expect(JSON.parse(out)).toEqual({ '[removed key 1]': 1, '[removed key 2]': 2, ['__proto__']: { id: 'p1' } });
  });

  it('keeps the metadata of real gateway lines and none of their content', () => {
    const [litellm] = fixtureLines('litellm.jsonl');
    const out = JSON.parse(redactedExcerpt(litellm!)!);
    expect(JSON.stringify(out)).not.toMatch(/SECRET/);
    expect(out).toMatchObject({
      id: 'chatcmpl-7d2f0a1e-0001',
      call_type: 'acompletion',
      status: 'success',
      custom_llm_provider: 'anthropic',
      startTime: 1735725600.123456,
      model: 'claude-sonnet-4-5-20250929',
      model_group: 'claude-sonnet',
      request_tags: ['tier:gold'],
      metadata: {
        user_api_key_alias: 'ci-bot',
        user_api_key_team_alias: 'engineering',
        user_api_key_user_id: 'alice@example.com',
      },
      messages: '[removed]',
      response: '[removed]',
    });
    const kong = JSON.parse(redactedExcerpt(fixtureLines('kong.jsonl')[0]!)!);
    expect(kong).toMatchObject({
      request: {
        id: '3a7f0c9e1b2d4e6f8a0b1c2d3e4f5a6b',
        uri: '[removed]',
        headers: { authorization: '[removed]', 'content-type': '[removed]' },
      },
      consumer: { username: 'alice', custom_id: 'emp-0042', tags: ['tier:gold', 'team:eng'] },
      route: { name: 'openai-chat' },
      ai: {
        proxy: { meta: { provider_name: 'openai', request_model: 'gpt-4o', response_model: 'gpt-4o-2024-08-06' } },
      },
    });
    const envoy = JSON.parse(redactedExcerpt(fixtureLines('envoy.jsonl')[1]!)!);
    expect(envoy).toMatchObject({
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.provider.name': 'openai',
      start_time: '2025-01-01T10:05:00.000Z',
      user_id: 'dave',
      tier: 'free',
    });
  });
});
