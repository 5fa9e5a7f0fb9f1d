import { FieldType, getFieldDisplayName } from '@grafana/data';
import { breakdown, budget, timeSeries } from './__fixtures__/responses';
import { breakdownFrame, budgetsFrame, crossingsFrame, timeSeriesFrames, valuesFrame } from './frames';

describe('breakdownFrame', () => {
  it('has a string field per group dimension, the measure, and the share, with units and display names', () => {
    const frame = breakdownFrame('A', breakdown, 'cost', true);
    expect(frame.refId).toBe('A');
    expect(frame.fields.map((f) => [f.name, f.type, f.config.displayName, f.config.unit])).toEqual([
      ['user', FieldType.string, 'User', undefined],
      ['model', FieldType.string, 'Model', undefined],
      ['costUsd', FieldType.number, 'Cost', 'currencyUSD'],
      ['share', FieldType.number, 'Share', 'percentunit'],
    ]);
    expect(frame.fields[2]!.values).toEqual([12.345678901, 8.230452600667]);
  });

  it('makes the total the one row of an ungrouped breakdown (the API sends no rows then)', () => {
    const frame = breakdownFrame('A', { ...breakdown, groupBy: [], rows: [] }, 'cost', true);
    expect(frame.fields.map((f) => [f.name, f.values])).toEqual([
      ['costUsd', [Number(breakdown.total.costUsd)]],
      ['share', [1]],
    ]);
  });

  it('labels the "everyone else" row', () => {
    expect(breakdownFrame('A', breakdown, 'cost', false).fields[0]!.values).toEqual([
      'alice@example.com',
      'Everyone else',
    ]);
  });

  it('gives one field per token bucket for tokens, and every column for "all"', () => {
    const tokens = breakdownFrame('A', breakdown, 'tokens', false);
    expect(tokens.fields.slice(2).map((f) => [f.name, f.config.unit])).toEqual([
      ['inputTokens', 'short'],
      ['cacheReadTokens', 'short'],
      ['cacheWriteTokens', 'short'],
      ['outputTokens', 'short'],
      ['reasoningTokens', 'short'],
    ]);
    expect(tokens.fields[2]!.values).toEqual([310_000, 90_000]);
    const all = breakdownFrame('A', breakdown, 'all', true);
    expect(all.fields.map((f) => f.name)).toEqual([
      'user',
      'model',
      'requests',
      'failedRequests',
      'inputTokens',
      'cacheReadTokens',
      'cacheWriteTokens',
      'outputTokens',
      'reasoningTokens',
      'costUsd',
      'chargeUsd',
      'marginUsd',
      'unpricedRequests',
      'feeUsd',
      'unreportedRequests',
      'share',
    ]);
    expect(all.fields.find((f) => f.name === 'marginUsd')!.values).toEqual([2.4691357802, 0]);
    // The fee is a column of its own, in USD; requests without usage are counted.
    expect(all.fields.find((f) => f.name === 'feeUsd')).toMatchObject({
      values: [0.35, 0],
      config: { displayName: 'Per-call fees', unit: 'currencyUSD' },
    });
    expect(all.fields.find((f) => f.name === 'unreportedRequests')!.values).toEqual([2, 0]);
  });
});

describe('timeSeriesFrames', () => {
  it('gives one frame per series: a time field and a labelled value field', () => {
    const frames = timeSeriesFrames('B', timeSeries, ['model'], 'cost');
    expect(frames).toHaveLength(2);
    const [first] = frames;
    expect(first!.refId).toBe('B');
    expect(first!.fields[0]).toMatchObject({
      name: 'time',
      type: FieldType.time,
      values: [Date.parse('2025-01-06T00:00:00Z'), Date.parse('2025-01-06T01:00:00Z')],
    });
    expect(first!.fields[1]).toMatchObject({
      name: 'costUsd',
      type: FieldType.number,
      labels: { model: 'gpt-4o' },
      values: [1.5, 0.25],
      config: { unit: 'currencyUSD' },
    });
    expect(getFieldDisplayName(first!.fields[1]!, first!, frames)).toBe('gpt-4o');
  });

  it('names several measure fields by measure and series, and an ungrouped series by measure', () => {
    const [frame] = timeSeriesFrames('B', timeSeries, ['model'], 'tokens');
    expect(frame!.fields.slice(1).map((f) => getFieldDisplayName(f, frame!))).toEqual([
      'Input tokens gpt-4o',
      'Cache read tokens gpt-4o',
      'Cache write tokens gpt-4o',
      'Output tokens gpt-4o',
      'Reasoning tokens gpt-4o',
    ]);
    const [ungrouped] = timeSeriesFrames(
      'B',
      { stepSeconds: 60, series: [{ points: timeSeries.series[0]!.points }] },
      [],
      'requests'
    );
    expect(getFieldDisplayName(ungrouped!.fields[1]!, ungrouped!)).toBe('Requests');
    expect(ungrouped!.fields[1]!.config.unit).toBe('short');
  });
});

describe('budgetsFrame / crossingsFrame / valuesFrame', () => {
  it('gives one budget per row with money, utilisation and period times typed', () => {
    const frame = budgetsFrame('C', [
      budget,
      { ...budget, subject: 'zero', limitUsd: '0.000000000000', utilisation: null, state: 'ok' },
    ]);
    const field = (name: string) => frame.fields.find((f) => f.name === name)!;
    expect(field('subject').values).toEqual(['engineering', 'zero']);
    expect(field('limitUsd')).toMatchObject({
      type: FieldType.number,
      values: [500, 0],
      config: { unit: 'currencyUSD', displayName: 'Limit' },
    });
    expect(field('utilisation')).toMatchObject({ values: [0.825, null], config: { unit: 'percentunit' } });
    expect(field('periodStart')).toMatchObject({
      type: FieldType.time,
      values: [Date.parse(budget.periodStart), Date.parse(budget.periodStart)],
    });
    expect(field('state').values).toEqual(['warning', 'ok']);
  });

  it('turns crossings into annotation fields', () => {
    const frame = crossingsFrame('D', [{ timeMs: 5, budget, threshold: 'warning', title: 't', text: 'x' }]);
    expect(frame.fields.map((f) => [f.name, f.values])).toEqual([
      ['time', [5]],
      ['title', ['t']],
      ['text', ['x']],
      ['tags', [['budget', 'warning', 'team:engineering']]],
    ]);
  });

  it('lists variable values in a text field', () => {
    expect(valuesFrame(['a', 'b']).fields[0]).toMatchObject({
      name: 'text',
      type: FieldType.string,
      values: ['a', 'b'],
    });
  });
});
