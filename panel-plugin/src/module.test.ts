import { FieldColorModeId, PanelOptionsEditorBuilder } from '@grafana/data';

import { registerStandardOptions } from './__fixtures__/grafana';
import { defaultBudgetThresholds, defaultOptions } from './defaults';
import { plugin } from './module';
import type { TopUsersOptions } from './types';

describe('plugin', () => {
  beforeAll(registerStandardOptions);

  it('builds its option defaults from the options builder, matching defaultOptions', () => {
    expect(plugin.defaults).toEqual(defaultOptions);
  });

  it('offers every option in the editor', () => {
    const builder = new PanelOptionsEditorBuilder<TopUsersOptions>();
    plugin.getPanelOptionsSupplier()(builder, { data: [] });
    expect(
      builder
        .getItems()
        .map((item) => item.path)
        .sort()
    ).toEqual(Object.keys(defaultOptions).sort());
  });

  it('shows the budget fields only with the budget, and the variable only when a click can set it', () => {
    const builder = new PanelOptionsEditorBuilder<TopUsersOptions>();
    plugin.getPanelOptionsSupplier()(builder, { data: [] });
    const item = (path: string) => builder.getItems().find((i) => i.path === path);
    expect(item('limitField')?.showIf?.({ ...defaultOptions, showBudget: false })).toBe(false);
    expect(item('limitField')?.showIf?.(defaultOptions)).toBe(true);
    expect(item('variableName')?.showIf?.({ ...defaultOptions, drilldown: 'links' })).toBe(false);
    expect(item('variableName')?.showIf?.({ ...defaultOptions, drilldown: 'variable' })).toBe(true);
  });

  it('defaults the field config to dollars, budget thresholds and a fixed bar colour', () => {
    expect(plugin.fieldConfigDefaults.defaults).toMatchObject({
      unit: 'currencyUSD',
      thresholds: defaultBudgetThresholds,
      color: { mode: FieldColorModeId.Fixed, fixedColor: 'blue' },
    });
  });

  it('registers the migration handler', () => {
    expect(plugin.onPanelMigration).toBeDefined();
  });
});
