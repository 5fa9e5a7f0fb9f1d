import { fakeTemplateSrv } from './__fixtures__/templateSrv';
import { interpolateFilters, interpolateQuery, interpolateValues, matchesNothing } from './interpolate';

const templateSrv = fakeTemplateSrv([
  {
    name: 'user',
    value: ['alice@example.com', 'bob@example.com'],
    options: ['alice@example.com', 'bob@example.com', 'carol@example.com'],
  },
  { name: 'team', value: 'engineering' },
  { name: 'model', value: '$__all', options: ['gpt-4o', 'gpt-4o-mini'] },
  { name: 'tier', value: ['$__all'], options: ['gold', 'free'] },
  { name: 'empty', value: [] },
]);

describe('interpolateValues', () => {
  it('keeps literal values', () => {
    expect(interpolateValues(['alice@example.com'], templateSrv)).toEqual(['alice@example.com']);
  });

  it('expands a multi-value variable into one value per selection', () => {
    expect(interpolateValues(['$user'], templateSrv)).toEqual(['alice@example.com', 'bob@example.com']);
    expect(interpolateValues(['${user}'], templateSrv)).toEqual(['alice@example.com', 'bob@example.com']);
    expect(interpolateValues(['[[user]]'], templateSrv)).toEqual(['alice@example.com', 'bob@example.com']);
  });

  it('mixes variables and literals without duplicates', () => {
    expect(interpolateValues(['$user', 'carol@example.com', 'bob@example.com'], templateSrv)).toEqual([
      'alice@example.com',
      'bob@example.com',
      'carol@example.com',
    ]);
  });

  it('reads "All" as no filter, whether the value is $__all or [$__all]', () => {
    expect(interpolateValues(['$model'], templateSrv)).toBeUndefined();
    expect(interpolateValues(['gpt-4o', '${tier}'], templateSrv)).toBeUndefined();
  });

  it('uses a repeated panel scoped value instead of the variable, even when the variable is "All"', () => {
    expect(interpolateValues(['$model'], templateSrv, { model: { text: 'gpt-4o', value: 'gpt-4o' } })).toEqual([
      'gpt-4o',
    ]);
  });

  it('makes a filter whose variables stand for no value match nothing, and no filter stay no filter', () => {
    expect(interpolateValues(['$empty'], templateSrv)).toEqual([]);
    expect(interpolateValues([], templateSrv)).toBeUndefined();
  });
});

describe('interpolateFilters / interpolateQuery', () => {
  it('interpolates every dimension and drops the ones left unfiltered', () => {
    expect(interpolateFilters({ user: ['$user'], team: ['$team'], model: ['$model'], tier: [] }, templateSrv)).toEqual({
      user: ['alice@example.com', 'bob@example.com'],
      team: ['engineering'],
    });
  });

  it('leaves the rest of the query alone', () => {
    const query = { refId: 'A', queryType: 'topN' as const, limit: 5, filters: { team: ['$team'] } };
    expect(interpolateQuery(query, templateSrv)).toEqual({ ...query, filters: { team: ['engineering'] } });
  });
});

describe('matchesNothing', () => {
  it('is true only when a filter was left with no values', () => {
    const filters = interpolateFilters({ user: ['$empty'], team: ['$team'] }, templateSrv);
    expect(filters).toEqual({ user: [], team: ['engineering'] });
    expect(matchesNothing(filters)).toBe(true);
    expect(matchesNothing(interpolateFilters({ user: ['$user'], model: ['$model'] }, templateSrv))).toBe(false);
    expect(matchesNothing(undefined)).toBe(false);
  });
});
