import { IdentityMap } from '../pricing/identityMap';
import { hashApiKey, maxOutputTokens, resolveSubject } from './subject';

// Who a request is for, as its usage record will say: headers first, the body's user and model, keys hashed,
// the identity map filling owner, team and tier as it does for log records.

describe('resolveSubject', () => {
  const identities = new IdentityMap(
    [
      { apiKey: hashApiKey('sk-raw-key-1'), owner: 'ann', team: 'eng' },
      { apiKey: 'ci-bot', team: 'ops', tier: 'gold' },
      { user: 'bob', team: 'research' },
    ],
    'standard'
  );
  const subject = (headers: Record<string, string>, body: unknown = {}) =>
    resolveSubject({ requestId: undefined, headers, body }, identities);

  it('hashes a raw key from Authorization or x-api-key and labels it as reports do (12 hex characters)', () => {
    const hash = hashApiKey('sk-raw-key-1');
    const fromBearer = subject({ authorization: 'Bearer sk-raw-key-1' });
    expect(fromBearer).toEqual({ apiKey: hash.slice(0, 12), user: 'ann', team: 'eng', tier: 'standard' });
    expect(subject({ 'x-api-key': 'sk-raw-key-1' })).toEqual(fromBearer);
    expect(subject({ authorization: 'bearer \t sk-raw-key-1 \u00a0' })).toEqual(fromBearer);
    expect(JSON.stringify(fromBearer)).not.toContain('sk-raw-key-1');
    // Not a bearer key (a second word, another scheme): no key, so no apiKey from Authorization.
    for (const authorization of ['Bearer sk-raw key', 'Basic c2stcmF3', 'Bearer ', 'Bearersk-raw-key-1'])
      expect(subject({ authorization })).not.toHaveProperty('apiKey');
  });

  it('takes a key id or alias as given, and what headers say over the identity map', () => {
    expect(subject({ 'x-api-key-alias': 'ci-bot' })).toEqual({ apiKey: 'ci-bot', team: 'ops', tier: 'gold' });
    expect(subject({ 'x-api-key-alias': 'ci-bot', 'x-team-id': 'sales', 'x-user-tier': 'free' })).toMatchObject({
      team: 'sales',
      tier: 'free',
    });
  });

  it("reads the body's user and model when no header names them", () => {
    expect(subject({}, { user: 'bob', model: 'gpt-4o' })).toEqual({
      user: 'bob',
      team: 'research',
      tier: 'standard',
      model: 'gpt-4o',
    });
    expect(subject({ 'x-user-id': 'carol', 'x-model': 'm2' }, { user: 'bob' })).toMatchObject({
      user: 'carol',
      model: 'm2',
    });
  });
});

describe('maxOutputTokens', () => {
  it('reads OpenAI chat, responses and Anthropic spellings, ignoring what is not a token count', () => {
    expect(maxOutputTokens({ max_completion_tokens: 10, max_tokens: 20 })).toBe(10);
    expect(maxOutputTokens({ max_tokens: 20 })).toBe(20);
    expect(maxOutputTokens({ max_output_tokens: 30 })).toBe(30);
    expect(maxOutputTokens({ max_tokens: '20' })).toBeUndefined();
    expect(maxOutputTokens({ max_tokens: -1 })).toBeUndefined();
    expect(maxOutputTokens(undefined)).toBeUndefined();
  });
});
