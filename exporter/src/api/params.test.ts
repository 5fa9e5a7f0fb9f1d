import {
  ApiError,
  checkKnown,
  MAX_POINTS,
  MAX_STEP_SECONDS,
  parseBoolean,
  parseFilters,
  parseGroupBy,
  parseLimit,
  parseRange,
  parseSort,
  parseStep,
  parseTime,
  QUERY_TIME_RANGE,
} from './params';

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
    expect(parseRange({ from: '1735689600000', to: '2025-01-02' })).toEqual({
      fromMs: 1735689600000,
      toMs: Date.parse('2025-01-02T00:00:00Z'),
    });
    expect(error(() => parseRange({ from: '2025-01-02', to: '2025-01-01' })).message).toBe(
      'from: must be before to (the range is [from, to))'
    );
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
    expect(error(() => parseRange({ from: '2025-04-01', to: '2025-04-31' })).message).toBe(
      'to: 2025-04-31 is not a date: April 2025 has 30 days'
    );
    expect(error(() => parseRange({ from: '2025-04-01T25:00Z', to: '2025-05-01' })).message).toBe(
      'from: 2025-04-01T25:00Z is not a time: hour 25 is out of range 00-23'
    );
    expect(error(() => parseRange({ from: 'yesterday', to: '2025-01-01' })).message).toBe(
      'from: not a time: "yesterday" (epoch milliseconds or an ISO date/time)'
    );
  });

  it('reads group-by lists and refuses unknown or repeated dimensions', () => {
    expect(parseGroupBy({ groupBy: 'user,model' })).toEqual(['user', 'model']);
    expect(parseGroupBy({ groupBy: ['team', 'tier'] })).toEqual(['team', 'tier']);
    expect(error(() => parseGroupBy({ groupBy: 'user,colour' })).message).toMatch(/unknown dimension "colour"/);
    expect(error(() => parseGroupBy({ groupBy: 'user,colour' })).message).toBe(
      'groupBy: unknown dimension "colour"; expected user, apiKey, team, tier, model'
    );
    expect(parseGroupBy({ groupBy: ['user', 'model,team'] })).toEqual(['user', 'model', 'team']);
    expect(error(() => parseGroupBy({ groupBy: 'user,user' })).message).toBe(
      'groupBy: dimension "user" is given twice'
    );
    expect(error(() => parseGroupBy({ groupBy: ['model', 'user,model'] })).message).toBe(
      'groupBy: dimension "model" is given twice'
    );
  });

  it('reads multi-value filters', () => {
    expect(parseFilters({ user: ['a', 'b'], model: 'm' })).toEqual({ user: ['a', 'b'], model: ['m'] });
  });

  it('refuses unknown parameters, naming them', () => {
    expect(error(() => checkKnown({ usr: 'a' }, ['user'])).message).toBe(
      'usr: unknown parameter; expected one of user'
    );
  });

  it('bounds limit and step counts', () => {
    expect(parseLimit({ limit: '5' })).toBe(5);
    expect(error(() => parseLimit({ limit: '0' })).parameter).toBe('limit');
    const day = { fromMs: 0, toMs: 86400000 };
    expect(parseStep({ step: '1h' }, day)).toBe(3600);
    expect(parseStep({ step: '900' }, day)).toBe(900);
    expect(error(() => parseStep({ step: '1s' }, { fromMs: 0, toMs: 30 * 86400000 })).message).toMatch(
      /2592000 points/
    );
    expect(error(() => parseStep({ step: 'hourly' }, day)).parameter).toBe('step');
  });

  it('refuses a range whose from equals its to, and accepts one millisecond', () => {
    expect(error(() => parseRange({ from: '1000', to: '1000' }))).toMatchObject({
      parameter: 'from',
      message: 'from: must be before to (the range is [from, to))',
    });
    expect(parseRange({ from: '999', to: '1000' })).toEqual({ fromMs: 999, toMs: 1000 });
  });

  it('refuses a parameter given twice, naming it', () => {
    expect(error(() => parseRange({ from: ['1', '2'], to: '3' }))).toMatchObject({
      parameter: 'from',
      message: 'from: give it once',
    });
    expect(error(() => parseRange({ from: '1', to: ['2', '3'] })).parameter).toBe('to');
    expect(error(() => parseStep({ step: ['1h', '1d'] }, { fromMs: 0, toMs: 1 })).parameter).toBe('step');
    expect(error(() => parseSort({ sort: ['cost', 'tokens'] })).parameter).toBe('sort');
  });

  it('takes times from 1970-01-01T00:00:00Z to 10000-01-01T00:00:00Z and refuses others with a 400, not a 500', () => {
    expect(QUERY_TIME_RANGE).toEqual({ minMs: 0, maxMs: 253402300800000 });
    expect(parseTime({ to: '0' }, 'to')).toBe(0);
    expect(parseTime({ to: '253402300800000' }, 'to')).toBe(253402300800000);
    expect(parseTime({ to: '+010000-01-01T00:00:00Z' }, 'to')).toBe(253402300800000);
    const outside = error(() => parseTime({ to: '253402300800001' }, 'to'));
    expect(outside).toMatchObject({ status: 400, parameter: 'to' });
    expect(outside.message).toBe(
      'to: 253402300800001 is outside the times a query can name, 1970-01-01T00:00:00.000Z (0) to +010000-01-01T00:00:00.000Z (253402300800000)'
    );
    for (const to of [
      '99999999999999999999',
      '8640000000000001',
      '8640000000000000',
      '9'.repeat(400),
      '+010000-01-01T00:00:00.001Z',
      '+275760-09-13',
    ]) {
      expect(error(() => parseTime({ to }, 'to')).parameter).toBe('to');
    }
    for (const from of ['1969-12-31T23:59:59.999Z', '-000001-01-01', '1970-01-01T00:00:00+00:01']) {
      expect(error(() => parseTime({ from }, 'from')).parameter).toBe('from');
    }
  });

  it('reads each step unit, 1d and 1w included', () => {
    const oneDay = { fromMs: 0, toMs: 86400000 };
    expect(parseStep({ step: '30s' }, oneDay)).toBe(30);
    expect(parseStep({ step: '5m' }, oneDay)).toBe(300);
    expect(parseStep({ step: '1h' }, oneDay)).toBe(3600);
    expect(parseStep({ step: '1d' }, oneDay)).toBe(86400);
    expect(parseStep({ step: '1w' }, oneDay)).toBe(604800);
    expect(parseStep({ step: '2w' }, oneDay)).toBe(1209600);
    expect(parseStep({ step: ' 1d ' }, oneDay)).toBe(86400);
    expect(error(() => parseStep({ step: '0' }, oneDay)).message).toBe('step: must be at least 1s');
    expect(error(() => parseStep({ step: '1y' }, oneDay)).parameter).toBe('step');
    expect(error(() => parseStep({ step: '-1h' }, oneDay)).parameter).toBe('step');
    expect(error(() => parseStep({}, oneDay)).message).toBe('step: required, e.g. 1h or 1d');
  });

  it('allows exactly MAX_POINTS points per series, counting a partial step as a point', () => {
    expect(MAX_POINTS).toBe(11000);
    expect(parseStep({ step: '1s' }, { fromMs: 0, toMs: 11000 * 1000 })).toBe(1);
    expect(error(() => parseStep({ step: '1s' }, { fromMs: 0, toMs: 11000 * 1000 + 1 })).message).toBe(
      'step: 1s gives 11001 points for this range; at most 11000 (use a larger step)'
    );
    expect(parseStep({ step: '1d' }, { fromMs: 5, toMs: 5 + 11000 * 86400000 })).toBe(86400);
    expect(error(() => parseStep({ step: '1w' }, { fromMs: 0, toMs: 11000 * 604800000 + 1 })).parameter).toBe('step');
  });

  it('refuses a step longer than every time a query can name (its milliseconds would not be an integer SQL can take)', () => {
    const all = { fromMs: QUERY_TIME_RANGE.minMs, toMs: QUERY_TIME_RANGE.maxMs };
    expect(parseStep({ step: String(MAX_STEP_SECONDS) }, all)).toBe(253402300800);
    expect(error(() => parseStep({ step: String(MAX_STEP_SECONDS + 1) }, all)).message).toBe(
      'step: 253402300801 is longer than the 253402300800 s a query can span'
    );
    for (const step of ['99999999999999999999', '99999999999w', '9'.repeat(400)])
      expect(error(() => parseStep({ step }, all)).parameter).toBe('step');
  });

  it('bounds limit to 1..10000 integers', () => {
    expect(parseLimit({})).toBeUndefined();
    expect(parseLimit({ limit: '10000' })).toBe(10000);
    expect(parseLimit({ limit: '1' })).toBe(1);
    for (const limit of ['10001', '1.5', 'ten', ''])
      expect(error(() => parseLimit({ limit })).message).toBe('limit: expected an integer from 1 to 10000');
  });

  it('reads booleans and sort keys', () => {
    expect([
      parseBoolean({}, 'other'),
      parseBoolean({ other: '' }, 'other'),
      parseBoolean({ other: '1' }, 'other'),
      parseBoolean({ other: 'false' }, 'other'),
    ]).toEqual([false, true, true, false]);
    expect(parseSort({})).toBe('cost');
    expect(parseSort({ sort: 'tokens' })).toBe('tokens');
  });

  it('says an endpoint without parameters takes none', () => {
    expect(error(() => checkKnown({ scope: 'team' }, []))).toMatchObject({
      parameter: 'scope',
      message: 'scope: unknown parameter; this endpoint takes none',
    });
    expect(() => checkKnown({ user: 'a' }, ['user'])).not.toThrow();
  });

  it('refuses an empty time and filters that are not text', () => {
    expect(error(() => parseTime({ from: '' }, 'from')).message).toBe(
      'from: required (epoch milliseconds or an ISO date/time)'
    );
    expect(error(() => parseFilters({ user: { a: '1' } })).message).toBe('user: expected text values');
    expect(error(() => parseFilters({ team: ['a', { b: '1' }] })).parameter).toBe('team');
  });

  it('reads group-by lists with spaces and empty entries', () => {
    expect(parseGroupBy({ groupBy: ' user , ,model,' })).toEqual(['user', 'model']);
    expect(parseGroupBy({})).toEqual([]);
  });

  it('refuses unknown sort keys, other booleans and steps with trailing text', () => {
    expect(error(() => parseSort({ sort: 'vibes' })).message).toBe(
      'sort: expected one of cost, charge, tokens, requests'
    );
    expect(parseBoolean({ other: '0' }, 'other')).toBe(false);
    expect(parseBoolean({ other: 'true' }, 'other')).toBe(true);
    expect(error(() => parseBoolean({ other: 'yes' }, 'other')).message).toBe('other: expected true or false');
    expect(error(() => parseStep({ step: '1hx' }, { fromMs: 0, toMs: 86400000 })).message).toBe(
      'step: expected a duration like 30s, 5m, 1h, 1d, 1w or seconds, got "1hx"'
    );
  });
});
