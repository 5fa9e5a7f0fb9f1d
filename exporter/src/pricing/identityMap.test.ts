import { DEFAULT_PRICING_EXTRAS, NO_TOKENS, UsageRecord } from '../types';
import { IdentityMap } from './identityMap';

const rec = (over: Partial<UsageRecord>): UsageRecord => ({
  requestId: 'r',
  startMs: 0,
  durationMs: undefined,
  user: undefined,
  apiKeyId: undefined,
  apiKeyAlias: undefined,
  team: undefined,
  tier: undefined,
  model: 'm',
  provider: undefined,
  status: 'success',
  httpStatus: undefined,
  tokens: { ...NO_TOKENS, inputUncached: 0, cacheRead: 0, cacheWrite: 0, output: 0 },
  ...DEFAULT_PRICING_EXTRAS,
  modelRequested: undefined,
  reportedCostPusd: undefined,
  ...over,
});
const applied = (ids: IdentityMap, over: Partial<UsageRecord>) => {
  const r = rec(over);
  ids.apply(r);
  return { user: r.user, team: r.team, tier: r.tier };
};

describe('IdentityMap', () => {
  const map = () =>
    new IdentityMap(
      [
        { apiKey: 'key-hash-1', owner: 'alice', team: 'eng', tier: 'gold' },
        { apiKey: 'ci-bot', owner: 'bob' },
        { user: 'bob', team: 'sales', tier: 'free' },
      ],
      'standard'
    );

  it('finds a key by its id, or else by its alias', () => {
    expect(applied(map(), { apiKeyId: 'key-hash-1' })).toEqual({ user: 'alice', team: 'eng', tier: 'gold' });
    expect(applied(map(), { apiKeyId: 'unknown-hash', apiKeyAlias: 'key-hash-1' })).toEqual({
      user: 'alice',
      team: 'eng',
      tier: 'gold',
    });
    expect(applied(map(), { apiKeyId: 'unknown-hash', apiKeyAlias: 'unknown-alias' })).toEqual({
      user: undefined,
      team: undefined,
      tier: 'standard',
    });
  });

  it("fills team and tier from the key owner's user entry when the key has none", () => {
    expect(applied(map(), { apiKeyAlias: 'ci-bot' })).toEqual({ user: 'bob', team: 'sales', tier: 'free' });
  });

  it('never replaces what the log says', () => {
    expect(applied(map(), { apiKeyId: 'key-hash-1', user: 'carol', team: 'ops', tier: 'silver' })).toEqual({
      user: 'carol',
      team: 'ops',
      tier: 'silver',
    });
    expect(applied(map(), { user: 'bob', team: 'ops' })).toEqual({ user: 'bob', team: 'ops', tier: 'free' });
  });

  it('leaves the tier unset without a default, and works with only user entries', () => {
    const users = new IdentityMap([{ user: 'dan', team: 'data' }], undefined);
    expect(applied(users, { user: 'dan' })).toEqual({ user: 'dan', team: 'data', tier: undefined });
    expect(applied(users, { apiKeyId: 'dan' })).toEqual({ user: undefined, team: undefined, tier: undefined });
  });

  it('keeps the identities and default tier it was given, for a parse worker to rebuild it', () => {
    const identities = [{ user: 'dan' }];
    const ids = new IdentityMap(identities, 'standard');
    expect([ids.identities, ids.defaultTier]).toEqual([identities, 'standard']);
  });
});
