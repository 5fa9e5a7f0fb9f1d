import { authenticate, hashToken } from './apiTokens';

describe('API tokens', () => {
  const tokens = [
    { name: 'admin', sha256: Buffer.from(hashToken('s3cret-admin'), 'hex'), scope: undefined },
    { name: 'eng', sha256: Buffer.from(hashToken('s3cret-eng'), 'hex'), scope: { team: 'engineering' } },
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

  it('hashes to lower-case hex SHA-256', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
