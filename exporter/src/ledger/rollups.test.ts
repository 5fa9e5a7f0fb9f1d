import { DAILY, DAY_MS, HOURLY, HOURLY_TEAMS, levelsFor, rangeParts } from './rollups';
import { HOUR_MS } from './schema';
import { breakdownStatement, spendStatements, timeSeriesStatement } from './sql/usageQueries';

// Which rollup level a query reads, and how its range is cut. That the answers equal a scan is the ledger
// contract's (test/ledgerContract.ts); this is what makes them fast.

const D0 = Date.parse('2026-03-01T00:00:00Z');
const dialect = { epochMs: (e: string) => `epoch_ms(${e})`, usageRows: 'usage' };
const tables = (sql: string) => [...sql.matchAll(/FROM (usage\w*)/g)].map((m) => m[1]).sort();

describe('levelsFor', () => {
  it('takes the level with the fewest key columns that holds what a query groups, filters or is scoped by', () => {
    expect(levelsFor([])).toEqual([DAILY, HOURLY_TEAMS]);
    expect(levelsFor(['model', 'team', 'tier'])).toEqual([DAILY, HOURLY_TEAMS]);
    expect(levelsFor(['user'])).toEqual([DAILY, HOURLY]);
    expect(levelsFor(['model', 'apiKey'])).toEqual([DAILY, HOURLY]);
  });

  it('leaves out a level whose grain does not divide a series step', () => {
    expect(levelsFor([], 3600_000)).toEqual([HOURLY_TEAMS]);
    expect(levelsFor(['user'], 2 * DAY_MS)).toEqual([DAILY, HOURLY]);
    expect(levelsFor(['user'], 1800_000)).toEqual([]);
    expect(levelsFor(['user'], 90 * 60_000)).toEqual([]);
  });
});

describe('rangeParts', () => {
  it('reads whole days from the daily level, whole hours at the edges from the hourly one, the rest from usage', () => {
    const from = D0 + 10 * HOUR_MS + 30 * 60_000;
    const to = D0 + 8 * DAY_MS + 5 * HOUR_MS;
    expect(rangeParts(from, to, [DAILY, HOURLY])).toEqual([
      { fromMs: from, toMs: D0 + 11 * HOUR_MS, level: undefined },
      { fromMs: D0 + 11 * HOUR_MS, toMs: D0 + DAY_MS, level: HOURLY },
      { fromMs: D0 + DAY_MS, toMs: D0 + 8 * DAY_MS, level: DAILY },
      { fromMs: D0 + 8 * DAY_MS, toMs: to, level: HOURLY },
    ]);
  });

  it('falls to a finer level when a range holds no whole unit of a coarser one, and to usage when nothing else', () => {
    expect(rangeParts(D0 + HOUR_MS, D0 + 3 * HOUR_MS, [DAILY, HOURLY])).toEqual([
      { fromMs: D0 + HOUR_MS, toMs: D0 + 3 * HOUR_MS, level: HOURLY },
    ]);
    expect(rangeParts(D0 + 1, D0 + 2, [DAILY, HOURLY])).toEqual([{ fromMs: D0 + 1, toMs: D0 + 2, level: undefined }]);
    expect(rangeParts(D0, D0, [DAILY, HOURLY])).toEqual([]);
    // Across an hour boundary without a whole hour: both halves from usage, no empty hourly part between them.
    expect(rangeParts(D0 + HOUR_MS / 2, D0 + (3 * HOUR_MS) / 2, [DAILY, HOURLY])).toEqual([
      { fromMs: D0 + HOUR_MS / 2, toMs: D0 + (3 * HOUR_MS) / 2, level: undefined },
    ]);
  });
});

describe('the level a chargeback query reads', () => {
  const days30 = { fromMs: D0, toMs: D0 + 30 * DAY_MS, filters: {} };

  it('reads a 30-day breakdown by user from the daily level alone', () => {
    const s = breakdownStatement({ ...days30, groupBy: ['user'], sort: 'cost', limit: undefined }, dialect);
    expect(tables(s.sql)).toEqual(['usage_daily']);
  });

  it('reads an unfiltered 30-day hourly series, or one by model, from the level without users and keys', () => {
    for (const groupBy of [[], ['model']] as const)
      expect(tables(timeSeriesStatement({ ...days30, groupBy, stepSeconds: 3600 }, dialect).sql)).toEqual([
        'usage_hourly_teams',
      ]);
  });

  it('reads the full-key hourly level when a series is by user, filtered by key or scoped to a user', () => {
    const series = (q: object) =>
      tables(timeSeriesStatement({ ...days30, groupBy: [], stepSeconds: 3600, ...q }, dialect).sql);
    expect(series({ groupBy: ['user'] })).toEqual(['usage_hourly']);
    expect(series({ filters: { apiKey: ['k1'] } })).toEqual(['usage_hourly']);
    expect(series({ scope: { user: 'ann' } })).toEqual(['usage_hourly']);
    expect(series({ scope: { team: 'red' } })).toEqual(['usage_hourly_teams']);
  });

  it('reads budgets of users from the daily and full-key hourly levels, of teams from the coarser hourly one', () => {
    const from = D0 + 90 * 60_000;
    const spend = (dimension: 'user' | 'team') =>
      tables(
        spendStatements([{ fromMs: from, toMs: D0 + 3 * DAY_MS, subject: { dimension, value: 'x' } }], dialect)[0]!
          .statement.sql
      );
    expect(spend('user')).toEqual(['usage', 'usage_daily', 'usage_hourly']);
    expect(spend('team')).toEqual(['usage', 'usage_daily', 'usage_hourly_teams']);
  });
});
