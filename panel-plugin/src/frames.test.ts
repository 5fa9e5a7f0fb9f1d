import { FieldType, createDataFrame } from '@grafana/data';

import {
  budgetBurnOptions,
  budgetGauges,
  chargebackBudgetTableFrame,
  chargebackBudgetsFrame,
  chargebackDailyFrame,
  chargebackFrame,
  prometheusBudgetBurnFrames,
  prometheusBudgetFrames,
  prometheusMatrixFrames,
  prometheusTableFrame,
  spenders,
} from './__fixtures__/frames';
import { defaultOptions } from './defaults';
import { parseFrames } from './frames';
import type { ParsedFrames, SubjectSamples } from './types';

const parse = (frames: Parameters<typeof parseFrames>[0], overrides: Partial<typeof defaultOptions> = {}) =>
  parseFrames(frames, { ...defaultOptions, ...overrides });

function metric(parsed: ParsedFrames, subject: string, role: keyof SubjectSamples['metrics']): number[] | undefined {
  return parsed.subjects.find((s) => s.subject === subject)?.metrics[role]?.map((sample) => sample.value);
}

describe('parseFrames: chargeback datasource', () => {
  it('reads one subject per row with every metric and the budget', () => {
    const parsed = parse([chargebackFrame()]);
    expect(parsed.problem).toBeUndefined();
    expect(parsed.subjectNoun).toBe('user');
    expect(parsed.subjects.map((s) => s.subject)).toEqual(spenders.map((s) => s.user));
    expect(parsed.valueField?.name).toBe('costUsd');
    expect(parsed.valueField?.config.unit).toBe('currencyUSD');
    expect(metric(parsed, 'j.okafor', 'value')).toEqual([1310.2]);
    expect(metric(parsed, 'j.okafor', 'inputTokens')).toEqual([61_700_000]);
    expect(metric(parsed, 'j.okafor', 'outputTokens')).toEqual([15_900_000]);
    expect(metric(parsed, 'j.okafor', 'requests')).toEqual([12_904]);
    expect(metric(parsed, 'j.okafor', 'limit')).toEqual([1200]);
    expect(metric(parsed, 'j.okafor', 'spent')).toEqual([1310.2]);
  });

  it('skips empty budget cells instead of reading them as zero', () => {
    const parsed = parse([chargebackFrame()]);
    expect(metric(parsed, 'a.singh', 'limit')).toBeUndefined();
  });

  it('collects a time series per subject from the long format, with the time of each sample', () => {
    const parsed = parse([chargebackDailyFrame()]);
    const maria = parsed.subjects.find((s) => s.subject === 'maria.chen');
    expect(maria?.metrics.value).toHaveLength(7);
    expect(maria?.metrics.value?.[0].time).toBe(Date.UTC(2025, 0, 6));
    expect(maria?.link?.rowIndex).toBe(6);
  });

  it('merges a separate budgets frame into the same subjects', () => {
    const parsed = parse([chargebackFrame(), chargebackBudgetsFrame()]);
    expect(metric(parsed, 'maria.chen', 'limit')).toEqual([2000, 2000]);
    expect(parsed.subjects).toHaveLength(spenders.length);
  });

  it('ranks by the chosen value field and subject field', () => {
    const parsed = parse([chargebackFrame()], { valueField: 'requests', labelField: 'user' });
    expect(parsed.valueField?.name).toBe('requests');
    expect(metric(parsed, 'ci-evals', 'value')).toEqual([5_400]);
  });
});

describe('parseFrames: Prometheus', () => {
  it('reads a range query: one subject per series from the user label, with times', () => {
    const parsed = parse(prometheusMatrixFrames(3));
    expect(parsed.subjectNoun).toBe('user');
    expect(parsed.subjects.map((s) => s.subject)).toEqual(['maria.chen', 'j.okafor', 'data-science-bot']);
    expect(metric(parsed, 'maria.chen', 'value')).toHaveLength(7);
    expect(parsed.subjects[0].metrics.value?.every((sample) => sample.time !== undefined)).toBe(true);
  });

  it('reads the table-format instant result with its "Value #A" column', () => {
    const parsed = parse([prometheusTableFrame()]);
    expect(parsed.valueField?.name).toBe('Value #A');
    expect(parsed.subjects).toHaveLength(spenders.length);
    expect(metric(parsed, 'k.novak', 'value')).toEqual([96.4]);
  });

  it('groups by another label when asked', () => {
    const parsed = parse([prometheusTableFrame()], { labelField: 'model' });
    expect(parsed.subjects.map((s) => s.subject)).toEqual(['gpt-4o']);
    expect(metric(parsed, 'gpt-4o', 'value')).toHaveLength(spenders.length);
  });

  it("recognises the exporter's budget gauges by metric name and their subject label", () => {
    const parsed = parse([...prometheusMatrixFrames(2), ...prometheusBudgetFrames()]);
    expect(metric(parsed, 'j.okafor', 'limit')).toEqual([1200]);
    expect(metric(parsed, 'j.okafor', 'spent')).toEqual([1310.2]);
    expect(metric(parsed, 'j.okafor', 'value')).toHaveLength(7);
    // The user's only budget: cost and budget are one row, named after the budget.
    expect(parsed.subjects.filter((s) => s.subject === 'j.okafor').map((s) => s.label)).toEqual(['j.okafor — monthly']);
  });

  it("keeps a user's cost apart from budgets it cannot be told to belong to", () => {
    const twoBudgets = prometheusBudgetFrames().slice(0, 2);
    const daily = twoBudgets.map((frame) => ({
      ...frame,
      fields: frame.fields.map((field) =>
        field.labels ? { ...field, labels: { ...field.labels, period: 'daily' } } : field
      ),
    }));
    const teamBudget = twoBudgets.map((frame) => ({
      ...frame,
      fields: frame.fields.map((field) =>
        field.labels ? { ...field, labels: { ...field.labels, scope: 'team' } } : field
      ),
    }));
    const several = parse([...prometheusMatrixFrames(1), ...twoBudgets, ...daily]);
    expect(several.subjects.map((s) => s.label)).toEqual(['maria.chen', 'maria.chen — monthly', 'maria.chen — daily']);
    expect(several.subjects[0].metrics.limit).toBeUndefined();
    // A team budget is not the user's, even under the same name.
    const otherScope = parse([...prometheusMatrixFrames(1), ...teamBudget]);
    expect(otherScope.subjects.map((s) => [s.label, s.metrics.limit?.length])).toEqual([
      ['maria.chen', undefined],
      ['maria.chen — monthly', 1],
    ]);
  });

  it('takes limit and spent from series whose legend names them', () => {
    const series = (legend: string, value: number) =>
      createDataFrame({
        fields: [
          { name: 'Time', type: FieldType.time, values: [1] },
          {
            name: 'Value',
            type: FieldType.number,
            labels: { user: 'u1' },
            config: { displayNameFromDS: legend },
            values: [value],
          },
        ],
      });
    const parsed = parse([series('cost', 30), series('limitUsd', 100), series('spentUsd', 40)]);
    expect(metric(parsed, 'u1', 'value')).toEqual([30]);
    expect(metric(parsed, 'u1', 'limit')).toEqual([100]);
    expect(metric(parsed, 'u1', 'spent')).toEqual([40]);
  });
});

describe('parseFrames: budgets', () => {
  const byLabel = (parsed: ParsedFrames) => new Map(parsed.subjects.map((s) => [s.label, s]));

  it('makes two budgets of one subject two rows, and one name in two scopes two rows', () => {
    const parsed = parse(prometheusBudgetBurnFrames(), budgetBurnOptions);
    expect(parsed.problem).toBeUndefined();
    expect(parsed.subjects.map((s) => [s.subject, s.label])).toEqual([
      ['eng', 'eng — monthly'],
      ['eng', 'eng — daily'],
      ['ann', 'ann (user) — weekly'],
      ['ann', 'ann (team) — weekly'],
    ]);
    expect(new Set(parsed.subjects.map((s) => s.key)).size).toBe(4);
    const rows = byLabel(parsed);
    expect(rows.get('eng — monthly')?.metrics.limit?.map((sample) => sample.value)).toEqual([1000, 1000]);
    expect(rows.get('eng — daily')?.metrics.limit?.map((sample) => sample.value)).toEqual([40, 40]);
    expect(rows.get('eng — daily')?.budget).toEqual({ scope: 'team', period: 'daily' });
  });

  it("keeps each budget's own thresholds by severity, and none for a budget without", () => {
    const rows = byLabel(parse(prometheusBudgetBurnFrames(), budgetBurnOptions));
    const ratios = (label: string) => {
      const thresholds = rows.get(label)?.thresholds;
      return thresholds && Object.fromEntries(Object.entries(thresholds).map(([k, v]) => [k, v?.at(-1)?.value]));
    };
    expect(ratios('eng — monthly')).toEqual({ warning: 0.5, critical: 0.9, exceeded: 1 });
    expect(ratios('ann (team) — weekly')).toEqual({ warning: 0.8, critical: 0.95, exceeded: 1.05 });
    expect(ratios('ann (user) — weekly')).toBeUndefined();
    // Threshold series are neither the ranked value nor a row of their own.
    expect(rows.get('eng — monthly')?.metrics.value?.map((sample) => sample.value)).toEqual([600, 600]);
  });

  it('reads the budgets query table by its scope, subject and period columns', () => {
    const parsed = parse([chargebackBudgetTableFrame()], { valueField: 'spentUsd' });
    expect(parsed.subjectNoun).toBe('subject');
    expect(parsed.subjects.map((s) => s.label)).toEqual([
      'eng — monthly',
      'eng — daily',
      'ann (user) — weekly',
      'ann (team) — weekly',
    ]);
    expect(parsed.subjects.map((s) => s.metrics.limit?.[0].value)).toEqual(budgetGauges.map((b) => b.limitUsd));
  });

  it('keys by subject when the frames carry no budget identity', () => {
    const parsed = parse([chargebackFrame(), chargebackBudgetsFrame()]);
    expect(parsed.subjects.map((s) => s.key)).toEqual(spenders.map((s) => s.user));
    expect(parsed.subjects.map((s) => s.label)).toEqual(spenders.map((s) => s.user));
  });
});

describe('parseFrames: what the panel cannot use', () => {
  it('reports no data for no frames or empty frames', () => {
    expect(parse([]).problem).toEqual({ kind: 'no-data' });
    expect(
      parse([createDataFrame({ fields: [{ name: 'user', type: FieldType.string, values: [] }] })]).problem
    ).toEqual({
      kind: 'no-data',
    });
  });

  it('reports a frame without any number field', () => {
    const frame = createDataFrame({ fields: [{ name: 'user', type: FieldType.string, values: ['a'] }] });
    expect(parse([frame]).problem).toEqual({ kind: 'no-number-field' });
  });

  it('names the number fields when the chosen value field is missing', () => {
    expect(parse([chargebackFrame()], { valueField: 'chargeUsd' }).problem).toEqual({
      kind: 'value-field-missing',
      name: 'chargeUsd',
      numberFields: ['costUsd', 'inputTokens', 'outputTokens', 'requests', 'limitUsd', 'spentUsd'],
    });
  });

  it('names the string fields when the chosen label field is missing', () => {
    expect(parse([chargebackFrame()], { labelField: 'team' }).problem).toEqual({
      kind: 'label-field-missing',
      name: 'team',
      stringFields: ['user'],
    });
    expect(parse(prometheusMatrixFrames(2), { labelField: 'team' }).problem?.kind).toBe('label-field-missing');
  });

  it('reports a budgets-only frame as missing its value', () => {
    expect(parse([chargebackBudgetsFrame()]).problem?.kind).toBe('value-field-missing');
  });
});
