import type { PanelMigrationHandler } from '@grafana/data';

import { CALCULATIONS, DRILLDOWN_MODES, MAX_LIMIT, SORT_ORDERS, defaultOptions } from './defaults';
import type { TopUsersOptions } from './types';

/**
 * Saved options come from dashboards written by hand, by provisioning scripts and by older plugin versions:
 * numbers arrive as strings, enums with unknown values, keys missing. Grafana calls this whenever the saved
 * `pluginVersion` differs from the plugin's, so every panel is brought to a complete, valid option set once.
 */
export function migrateOptions(saved: Record<string, unknown> | undefined): TopUsersOptions {
  const source = saved ?? {};
  return {
    limit: toLimit(source.limit),
    labelField: toText(source.labelField, defaultOptions.labelField),
    valueField: toText(source.valueField, defaultOptions.valueField),
    limitField: toText(source.limitField, defaultOptions.limitField),
    spentField: toText(source.spentField, defaultOptions.spentField),
    calculation: toChoice(source.calculation, CALCULATIONS, defaultOptions.calculation),
    sortOrder: toChoice(source.sortOrder, SORT_ORDERS, defaultOptions.sortOrder),
    showShare: toFlag(source.showShare, defaultOptions.showShare),
    showTokens: toFlag(source.showTokens, defaultOptions.showTokens),
    showRequests: toFlag(source.showRequests, defaultOptions.showRequests),
    showSparkline: toFlag(source.showSparkline, defaultOptions.showSparkline),
    showBudget: toFlag(source.showBudget, defaultOptions.showBudget),
    drilldown: toChoice(source.drilldown, DRILLDOWN_MODES, defaultOptions.drilldown),
    variableName: toText(source.variableName, defaultOptions.variableName).replace(/^var-/, ''),
  };
}

export const migrationHandler: PanelMigrationHandler<TopUsersOptions> = (panel) =>
  migrateOptions(panel.options as unknown as Record<string, unknown> | undefined);

function toLimit(raw: unknown): number {
  const parsed = typeof raw === 'string' ? Number(raw.trim()) : raw;
  if (typeof parsed !== 'number' || !Number.isFinite(parsed)) {
    return defaultOptions.limit;
  }
  return Math.min(MAX_LIMIT, Math.max(1, Math.round(parsed)));
}

function toText(raw: unknown, fallback: string): string {
  return typeof raw === 'string' ? raw.trim() : fallback;
}

function toFlag(raw: unknown, fallback: boolean): boolean {
  if (typeof raw === 'boolean') {
    return raw;
  }
  return raw === 'true' ? true : raw === 'false' ? false : fallback;
}

function toChoice<T extends string>(raw: unknown, choices: Array<{ value: T }>, fallback: T): T {
  return choices.find((choice) => choice.value === raw)?.value ?? fallback;
}
