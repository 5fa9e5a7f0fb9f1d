import { ApiError, checkKnown, parseFilters, parseGroupBy, parseLimit, parseRange, parseStep, parseTime } from './params';

function error(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

describe('API parameters', () => {
  it('reads ranges as epoch ms or ISO, and refuses empty or reversed ones', () => {
    expect(parseRange({ from: '1735689600000', to: '2025-01-02' })).toEqual({ fromMs: 1735689600000, toMs: Date.parse('2025-01-02T00:00:00Z') });
    expect(error(() => parseRange({ from: '2025-01-02', to: '2025-01-01' })).message).toBe('from: must be before to (the range is [from, to))');
    expect(error(() => parseRange({ from: 'yesterday', to: '2025-01-01' })).parameter).toBe('from');
    expect(error(() => parseRange({ to: '2025-01-01' })).message).toMatch(/^from: required/);
  });

  it('reads ISO times with offsets and fractions, UTC when they give no zone', () => {
    expect(parseTime({ t: '2025-01-01T12:00:00.250+01:00' }, 't')).toBe(Date.UTC(2025, 0, 1, 11, 0, 0, 250));
    expect(parseTime({ t: '2025-01-01T12:00' }, 't')).toBe(Date.UTC(2025, 0, 1, 12));
  });

  it('refuses impossible dates instead of rolling them over, naming the parameter and the value', () => {
    const feb = error(() => parseRange({ from: '2025-02-30', to: '2025-03-01' }));
    expect(feb.parameter).toBe('from');
    expect(feb.message).toBe('from: 2025-02-30 is not a date: February 2025 has 28 days');
    expect(error(() => parseRange({ from: '2025-04-01', to: '2025-04-31' })).message).toBe('to: 2025-04-31 is not a date: April 2025 has 30 days');
    expect(error(() => parseRange({ from: '2025-04-01T25:00Z', to: '2025-05-01' })).message).toBe('from: 2025-04-01T25:00Z is not a time: hour 25 is out of range 00-23');
    expect(error(() => parseRange({ from: 'yesterday', to: '2025-01-01' })).message).toBe('from: not a time: "yesterday" (epoch milliseconds or an ISO date/time)');
  });

  it('reads group-by lists and refuses unknown or repeated dimensions', () => {
    expect(parseGroupBy({ groupBy: 'user,model' })).toEqual(['user', 'model']);
    expect(parseGroupBy({ groupBy: ['team', 'tier'] })).toEqual(['team', 'tier']);
    expect(error(() => parseGroupBy({ groupBy: 'user,colour' })).message).toMatch(/unknown dimension "colour"/);
    expect(error(() => parseGroupBy({ groupBy: 'user,colour' })).message).toBe(
      'groupBy: unknown dimension "colour"; expected user, apiKey, team, tier, model',
    );
    expect(parseGroupBy({ groupBy: ['user', 'model,team'] })).toEqual(['user', 'model', 'team']);
    expect(error(() => parseGroupBy({ groupBy: 'user,user' })).message).toBe('groupBy: dimension "user" is given twice');
    expect(error(() => parseGroupBy({ groupBy: ['model', 'user,model'] })).message).toBe('groupBy: dimension "model" is given twice');
  });

  it('reads multi-value filters', () => {
    expect(parseFilters({ user: ['a', 'b'], model: 'm' })).toEqual({ user: ['a', 'b'], model: ['m'] });
  });

  it('refuses unknown parameters, naming them', () => {
    expect(error(() => checkKnown({ usr: 'a' }, ['user'])).message).toBe('usr: unknown parameter; expected one of user');
  });

  it('bounds limit and step counts', () => {
    expect(parseLimit({ limit: '5' })).toBe(5);
    expect(error(() => parseLimit({ limit: '0' })).parameter).toBe('limit');
    const day = { fromMs: 0, toMs: 86400000 };
    expect(parseStep({ step: '1h' }, day)).toBe(3600);
    expect(parseStep({ step: '900' }, day)).toBe(900);
    expect(error(() => parseStep({ step: '1s' }, { fromMs: 0, toMs: 30 * 86400000 })).message).toMatch(/2592000 points/);
    expect(error(() => parseStep({ step: 'hourly' }, day)).parameter).toBe('step');
  });
});
