import { createDataFrame, DataFrame, FieldConfig, FieldType } from '@grafana/data';
import { DIMENSION_LABELS, FIELD_LABELS, MEASURE_FIELDS, OTHER_LABEL, OTHER_VALUE } from './constants';
import {
  Budget,
  BreakdownResponse,
  Crossing,
  Dimension,
  Measure,
  MeasureName,
  Measures,
  Series,
  TimeSeriesResponse,
} from './types';

type FieldInput = {
  name: string;
  type: FieldType;
  values: unknown[];
  config?: FieldConfig;
  labels?: Record<string, string>;
};

/** `*Usd` fields are exact decimal strings; Number() is precise enough for display. */
export function unitOf(name: MeasureName): string {
  return name.endsWith('Usd') ? 'currencyUSD' : 'short';
}

function measureValue(row: Measures, name: MeasureName): number {
  return Number(row[name]);
}

function dimensionText(value: string | undefined): string {
  return value === OTHER_VALUE ? OTHER_LABEL : (value ?? '');
}

function stringField(name: string, displayName: string, values: string[]): FieldInput {
  return { name, type: FieldType.string, values, config: { displayName } };
}

function usdField(name: string, displayName: string, values: string[]): FieldInput {
  return { name, type: FieldType.number, values: values.map(Number), config: { displayName, unit: 'currencyUSD' } };
}

/**
 * A breakdown or top N as one table frame: a string field per group dimension, then the measure's fields,
 * then (`withShare`) the share of the sort measure. The "everyone else" row is labelled "Everyone else".
 */
export function breakdownFrame(
  refId: string,
  response: BreakdownResponse,
  measure: Measure,
  withShare: boolean
): DataFrame {
  const { groupBy } = response;
  // Ungrouped, the API has no rows, only the total: that total is the one row a stat panel needs.
  const rows = groupBy.length === 0 ? [{ ...response.total, share: 1 }] : response.rows;
  const fields: FieldInput[] = groupBy.map((d: Dimension) =>
    stringField(
      d,
      DIMENSION_LABELS[d],
      rows.map((r) => dimensionText(r[d]))
    )
  );
  for (const name of MEASURE_FIELDS[measure]) {
    fields.push({
      name,
      type: FieldType.number,
      values: rows.map((r) => measureValue(r, name)),
      config: { displayName: FIELD_LABELS[name], unit: unitOf(name) },
    });
  }
  if (withShare) {
    fields.push({
      name: 'share',
      type: FieldType.number,
      values: rows.map((r) => r.share),
      config: { displayName: 'Share', unit: 'percentunit' },
    });
  }
  return createDataFrame({ refId, fields });
}

function seriesLabels(series: Series, groupBy: Dimension[]): Record<string, string> {
  return Object.fromEntries(groupBy.map((d) => [d, dimensionText(series[d])]));
}

/**
 * One frame per series: a time field and one number field per measure column, labelled with the series'
 * group values. `displayNameFromDS` gives legends "gpt-4o" (one column) or "Input tokens gpt-4o" (several).
 */
export function timeSeriesFrames(
  refId: string,
  response: TimeSeriesResponse,
  groupBy: Dimension[],
  measure: Measure
): DataFrame[] {
  const names = MEASURE_FIELDS[measure];
  return response.series.map((series) => {
    const labels = seriesLabels(series, groupBy);
    const seriesName = Object.values(labels).join(' ');
    const displayName = (name: MeasureName) =>
      names.length === 1 && seriesName ? seriesName : [FIELD_LABELS[name], seriesName].filter(Boolean).join(' ');
    return createDataFrame({
      refId,
      name: seriesName || undefined,
      fields: [
        {
          name: 'time',
          type: FieldType.time,
          values: series.points.map((p) => Date.parse(p.time)),
          config: { displayName: 'Time' },
        },
        ...names.map((name) => ({
          name,
          type: FieldType.number,
          labels,
          values: series.points.map((p) => measureValue(p, name)),
          config: { displayNameFromDS: displayName(name), unit: unitOf(name) },
        })),
      ],
    });
  });
}

export function budgetsFrame(refId: string, budgets: Budget[]): DataFrame {
  const column = (name: keyof Budget, displayName: string) =>
    stringField(
      name,
      displayName,
      budgets.map((b) => String(b[name]))
    );
  const time = (name: 'periodStart' | 'periodEnd', displayName: string): FieldInput => ({
    name,
    type: FieldType.time,
    values: budgets.map((b) => Date.parse(b[name])),
    config: { displayName },
  });
  return createDataFrame({
    refId,
    fields: [
      column('scope', 'Scope'),
      column('subject', 'Subject'),
      column('period', 'Period'),
      time('periodStart', 'Period start'),
      time('periodEnd', 'Period end'),
      usdField(
        'limitUsd',
        'Limit',
        budgets.map((b) => b.limitUsd)
      ),
      usdField(
        'spentUsd',
        'Spent',
        budgets.map((b) => b.spentUsd)
      ),
      usdField(
        'projectedUsd',
        'Projected',
        budgets.map((b) => b.projectedUsd)
      ),
      {
        name: 'utilisation',
        type: FieldType.number,
        values: budgets.map((b) => b.utilisation),
        config: { displayName: 'Utilisation', unit: 'percentunit' },
      },
      column('state', 'State'),
    ],
  });
}

/** Budget threshold crossings as an annotation frame (time, title, text, tags). */
export function crossingsFrame(refId: string, crossings: Crossing[]): DataFrame {
  return createDataFrame({
    refId,
    fields: [
      { name: 'time', type: FieldType.time, values: crossings.map((c) => c.timeMs) },
      { name: 'title', type: FieldType.string, values: crossings.map((c) => c.title) },
      { name: 'text', type: FieldType.string, values: crossings.map((c) => c.text) },
      {
        name: 'tags',
        type: FieldType.other,
        values: crossings.map((c) => ['budget', c.threshold, `${c.budget.scope}:${c.budget.subject}`]),
      },
    ],
  });
}

/** Values for a template variable: one `text` field. */
export function valuesFrame(values: string[]): DataFrame {
  return createDataFrame({ fields: [{ name: 'text', type: FieldType.string, values }] });
}
