import { defaultOptions } from './defaults';
import { migrateOptions, migrationHandler } from './migrations';

describe('migrateOptions', () => {
  it('fills every option of a panel saved without options', () => {
    expect(migrateOptions(undefined)).toEqual(defaultOptions);
    expect(migrateOptions({})).toEqual(defaultOptions);
  });

  it('keeps valid saved options as they are', () => {
    const saved = {
      ...defaultOptions,
      limit: 25,
      labelField: 'team',
      calculation: 'sum',
      sortOrder: 'asc',
      showShare: false,
      drilldown: 'links',
    };
    expect(migrateOptions(saved)).toEqual(saved);
  });

  it('repairs values written by hand or by provisioning scripts', () => {
    const migrated = migrateOptions({
      limit: ' 15 ',
      showTokens: 'false',
      showBudget: 'true',
      sortOrder: 'descending',
      calculation: 'median',
      drilldown: 42,
      variableName: 'var-team',
      labelField: '  user ',
    });
    expect(migrated).toMatchObject({
      limit: 15,
      showTokens: false,
      showBudget: true,
      sortOrder: defaultOptions.sortOrder,
      calculation: defaultOptions.calculation,
      drilldown: defaultOptions.drilldown,
      variableName: 'team',
      labelField: 'user',
    });
  });

  it.each([
    [0, 1],
    [-3, 1],
    [7.6, 8],
    [5000, 100],
    ['ten', defaultOptions.limit],
    [Number.NaN, defaultOptions.limit],
  ])('clamps top N %p to %p', (limit, expected) => {
    expect(migrateOptions({ limit }).limit).toBe(expected);
  });

  it('is what the plugin registers as its migration handler', async () => {
    const migrated = await migrationHandler({
      id: 1,
      type: 'tokenledger-topusers-panel',
      pluginVersion: '0.9.0',
      options: { limit: '3' } as never,
      fieldConfig: { defaults: {}, overrides: [] },
    });
    expect(migrated).toEqual({ ...defaultOptions, limit: 3 });
  });
});
