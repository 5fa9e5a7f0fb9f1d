import {
  FieldColorModeId,
  FieldConfigProperty,
  FieldType,
  type PanelOptionsEditorBuilder,
  type SetFieldConfigOptionsArgs,
} from '@grafana/data';

import {
  CALCULATIONS,
  DRILLDOWN_MODES,
  MAX_LIMIT,
  SORT_ORDERS,
  defaultBudgetThresholds,
  defaultOptions,
} from './defaults';
import type { TopUsersOptions } from './types';

const RANKING = ['Ranking'];
const COLUMNS = ['Columns'];
const BUDGET = ['Budget burn'];
const DRILLDOWN = ['Drilldown'];

/**
 * Standard field options: money by default (Grafana scales it: $1.84K), thresholds read as budget
 * utilisation, a fixed bar colour.
 */
export const fieldConfig: SetFieldConfigOptionsArgs = {
  standardOptions: {
    [FieldConfigProperty.Unit]: { defaultValue: 'currencyUSD' },
    [FieldConfigProperty.Thresholds]: { defaultValue: defaultBudgetThresholds },
    [FieldConfigProperty.Color]: { defaultValue: { mode: FieldColorModeId.Fixed, fixedColor: 'blue' } },
  },
  disableStandardOptions: [FieldConfigProperty.Min, FieldConfigProperty.Max, FieldConfigProperty.NoValue],
};

export function buildOptions(builder: PanelOptionsEditorBuilder<TopUsersOptions>): void {
  builder
    .addNumberInput({
      path: 'limit',
      name: 'Top N',
      description: `How many subjects to show (1 to ${MAX_LIMIT}).`,
      category: RANKING,
      defaultValue: defaultOptions.limit,
      settings: { min: 1, max: MAX_LIMIT, integer: true },
    })
    .addFieldNamePicker({
      path: 'labelField',
      name: 'Label field',
      description: 'String field naming who spends: user by default, else the first string field or series label.',
      category: RANKING,
      defaultValue: defaultOptions.labelField,
      settings: { filter: (field) => field.type === FieldType.string, placeholderText: 'Auto (user)' },
    })
    .addFieldNamePicker({
      path: 'valueField',
      name: 'Value field',
      description: 'Number field to rank by: costUsd by default, else the first number field.',
      category: RANKING,
      defaultValue: defaultOptions.valueField,
      settings: { filter: (field) => field.type === FieldType.number, placeholderText: 'Auto (costUsd)' },
    })
    .addRadio({
      path: 'calculation',
      name: 'Calculation',
      description: 'How a time series becomes one number per subject.',
      category: RANKING,
      defaultValue: defaultOptions.calculation,
      settings: { options: CALCULATIONS },
    })
    .addRadio({
      path: 'sortOrder',
      name: 'Sort',
      category: RANKING,
      defaultValue: defaultOptions.sortOrder,
      settings: { options: SORT_ORDERS },
    })
    .addBooleanSwitch({
      path: 'showShare',
      name: 'Share of total',
      category: COLUMNS,
      defaultValue: defaultOptions.showShare,
    })
    .addBooleanSwitch({
      path: 'showTokens',
      name: 'Tokens',
      category: COLUMNS,
      defaultValue: defaultOptions.showTokens,
    })
    .addBooleanSwitch({
      path: 'showRequests',
      name: 'Requests',
      category: COLUMNS,
      defaultValue: defaultOptions.showRequests,
    })
    .addBooleanSwitch({
      path: 'showSparkline',
      name: 'Trend sparkline',
      description: 'Shown when the data has a time field.',
      category: COLUMNS,
      defaultValue: defaultOptions.showSparkline,
    })
    .addBooleanSwitch({
      path: 'showBudget',
      name: 'Show budget burn',
      description:
        "Utilisation bar per budget, coloured by the budget's own thresholds when the data has them, else by the thresholds (in % of the budget).",
      category: BUDGET,
      defaultValue: defaultOptions.showBudget,
    })
    .addTextInput({
      path: 'limitField',
      name: 'Limit field',
      description: 'Field name or Prometheus legend of the budget limit.',
      category: BUDGET,
      defaultValue: defaultOptions.limitField,
      showIf: (options) => options.showBudget,
    })
    .addTextInput({
      path: 'spentField',
      name: 'Spent field',
      description: 'Field name or Prometheus legend of the amount spent; the ranked value when absent.',
      category: BUDGET,
      defaultValue: defaultOptions.spentField,
      showIf: (options) => options.showBudget,
    })
    .addRadio({
      path: 'drilldown',
      name: 'On click',
      category: DRILLDOWN,
      defaultValue: defaultOptions.drilldown,
      settings: { options: DRILLDOWN_MODES },
    })
    .addTextInput({
      path: 'variableName',
      name: 'Variable',
      description: 'Dashboard variable set to the clicked subject (var-<name> in the URL).',
      category: DRILLDOWN,
      defaultValue: defaultOptions.variableName,
      showIf: (options) => options.drilldown === 'auto' || options.drilldown === 'variable',
    });
}
