import { ApiToken, AuthConfig, authenticate, decisionRefusal, hashToken, pushRefusal } from './apiTokens';

describe('API tokens', () => {
  const tokens: ApiToken[] = [
    { name: 'admin', sha256: Buffer.from(hashToken('s3cret-admin'), 'hex'), role: 'admin', scope: undefined },
    {
      name: 'eng',
      sha256: Buffer.from(hashToken('s3cret-eng'), 'hex'),
      role: 'scoped',
      scope: { team: 'engineering' },
    },
    { name: 'gw', sha256: Buffer.from(hashToken('s3cret-gw'), 'hex'), role: 'ingest', scope: undefined },
  ];

  it('finds the token a bearer header carries', () => {
    expect(authenticate('Bearer s3cret-eng', tokens)?.name).toBe('eng');
    expect(authenticate('bearer s3cret-admin', tokens)?.name).toBe('admin');
  });

  it('refuses missing, malformed and unknown tokens', () => {
    expect(authenticate(undefined, tokens)).toBeUndefined();
    expect(authenticate('Basic czNjcmV0', tokens)).toBeUndefined();
    expect(authenticate('Bearer nope', tokens)).toBeUndefined();
  });

  it('lets only ingest tokens push once tokens are configured', () => {
    const auth: AuthConfig = { tokens, api: 'required', metrics: 'open' };
    expect(pushRefusal('Bearer s3cret-gw', auth)).toBeUndefined();
    expect(pushRefusal('Bearer s3cret-admin', auth)).toMatchObject({ status: 403 });
    expect(pushRefusal('Bearer s3cret-eng', auth)).toMatchObject({ status: 403 });
    expect(pushRefusal('Bearer nope', auth)).toMatchObject({ status: 401 });
    expect(pushRefusal(undefined, auth)).toMatchObject({ status: 401 });
    expect(pushRefusal(undefined, { tokens: [], api: 'open', metrics: 'open' })).toBeUndefined();
  });

  it('lets gateways (ingest) and operators (admin) ask for decisions, never a scoped reader', () => {
    const auth: AuthConfig = { tokens, api: 'open', metrics: 'open' };
    expect(decisionRefusal('Bearer s3cret-gw', auth)).toBeUndefined();
    expect(decisionRefusal('Bearer s3cret-admin', auth)).toBeUndefined();
    expect(decisionRefusal('Bearer s3cret-eng', auth)).toMatchObject({ status: 403 });
    expect(decisionRefusal(undefined, auth)).toMatchObject({ status: 401 });
    expect(decisionRefusal(undefined, { tokens: [], api: 'open', metrics: 'open' })).toBeUndefined();
  });

  it('hashes to lower-case hex SHA-256', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
