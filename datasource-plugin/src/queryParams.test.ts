import { apiUrl, breakdownParams, dimensionParams, stepSeconds, timeSeriesParams } from './queryParams';

const range = { fromMs: Date.UTC(2025, 0, 1), toMs: Date.UTC(2025, 1, 1) };
const HOUR = 3600_000;

describe('breakdownParams', () => {
  it('sends the range in epoch ms, groupBy as a list and repeats filters per value', () => {
    const params = breakdownParams(
      {
        refId: 'A',
        queryType: 'breakdown',
        groupBy: ['user', 'model'],
        filters: { model: ['gpt-4o', 'o4-mini'], user: ['a@x'] },
        sort: 'tokens',
        limit: 5,
        other: true,
      },
      range
    );
    expect(params.toString()).toBe(
      'from=1735689600000&to=1738368000000&user=a%40x&model=gpt-4o&model=o4-mini&groupBy=user%2Cmodel&sort=tokens'
    );
  });

  it('adds limit and other=true for a top N only', () => {
    const params = breakdownParams({ refId: 'A', queryType: 'topN', groupBy: ['user'], limit: 5, other: true }, range);
    expect(params.get('limit')).toBe('5');
    expect(params.get('other')).toBe('true');
    expect(breakdownParams({ refId: 'A', queryType: 'topN', limit: 3, other: false }, range).has('other')).toBe(false);
  });

  it('omits groupBy when nothing is grouped', () => {
    expect(breakdownParams({ refId: 'A', groupBy: [] }, range).has('groupBy')).toBe(false);
  });
});

describe('timeSeriesParams / stepSeconds', () => {
  it("uses Grafana's interval as the step, in seconds", () => {
    const params = timeSeriesParams(
      { groupBy: ['model'], filters: { team: ['eng'] } },
      { fromMs: 0, toMs: 24 * HOUR },
      HOUR
    );
    expect(Object.fromEntries(params)).toEqual({
      from: '0',
      to: String(24 * HOUR),
      team: 'eng',
      groupBy: 'model',
      step: '3600',
    });
  });

  it('rounds sub-second intervals up to 1 s', () => {
    expect(stepSeconds({ fromMs: 0, toMs: 60_000 }, 20)).toBe(1);
  });

  it('coarsens the step when the range would give more points than the API allows', () => {
    // 31 days at 1 s would be 2,678,400 points; at most 11,000.
    expect(stepSeconds(range, 1000)).toBe(Math.ceil((31 * 24 * 3600) / 11000));
  });
});

describe('dimensionParams / apiUrl', () => {
  it('builds the proxy URL of an endpoint', () => {
    const params = dimensionParams({ fromMs: 1, toMs: 2 }, { team: ['finance'] });
    expect(apiUrl('/api/datasources/proxy/uid/abc', '/dimensions/user', params)).toBe(
      '/api/datasources/proxy/uid/abc/tokenledger/api/v1/dimensions/user?from=1&to=2&team=finance'
    );
    expect(apiUrl('/api/datasources/proxy/uid/abc', '/status')).toBe(
      '/api/datasources/proxy/uid/abc/tokenledger/api/v1/status'
    );
  });
});
