import { redactedExcerpt } from './redact';

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
    expect(JSON.parse(out)).toMatchObject({ id: 'r1', model: 'gpt-4o', messages: '[removed]', metadata: { user_api_key_hash: 'abc123', usage_object: { prompt_tokens: 5 } } });
  });

  it('keeps nothing of a line that is not JSON', () => {
    expect(redactedExcerpt('Authorization: Bearer sk-PRIVATE')).toBeUndefined();
  });
});
