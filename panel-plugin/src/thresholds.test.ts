import { ThresholdsMode } from '@grafana/data';

import { budgetColor, budgetState, ownThresholds } from './thresholds';

describe('budgetColor', () => {
  it.each([
    [0, 'green'],
    [0.799, 'green'],
    [0.8, 'yellow'],
    [0.949, 'yellow'],
    [0.95, 'orange'],
    [0.999, 'orange'],
    [1, 'red'],
    [2.5, 'red'],
  ])('colours %p of the budget with the default 80/95/100 %% steps as %s', (utilisation, color) => {
    expect(budgetColor(utilisation, undefined)).toBe(color);
  });

  it('uses the thresholds from the field config, read as percent of the budget', () => {
    const thresholds = {
      mode: ThresholdsMode.Percentage,
      steps: [
        { value: -Infinity, color: 'blue' },
        { value: 50, color: 'purple' },
      ],
    };
    expect(budgetColor(0.49, thresholds)).toBe('blue');
    expect(budgetColor(0.5, thresholds)).toBe('purple');
  });

  it('treats a saved base step (null in JSON) as the lowest step', () => {
    const thresholds = {
      mode: ThresholdsMode.Absolute,
      steps: [
        { value: null as unknown as number, color: 'green' },
        { value: 90, color: 'red' },
      ],
    };
    expect(budgetColor(0.3, thresholds)).toBe('green');
    expect(budgetColor(0.9, thresholds)).toBe('red');
  });
});

describe("ownThresholds: a budget's thresholds from the data", () => {
  it('turns fractions of the limit into steps in percent, coloured by severity', () => {
    expect(ownThresholds({ warning: 0.5, critical: 0.9, exceeded: 1 })).toEqual({
      mode: ThresholdsMode.Absolute,
      steps: [
        { value: -Infinity, color: 'green' },
        { value: 50, color: 'yellow' },
        { value: 90, color: 'orange' },
        { value: 100, color: 'red' },
      ],
    });
  });

  it('is undefined without any, so the panel option applies', () => {
    expect(ownThresholds({})).toBeUndefined();
    expect(ownThresholds({ warning: Number.NaN })).toBeUndefined();
  });

  it("colours by the budget's own thresholds instead of the panel's", () => {
    const panel = { mode: ThresholdsMode.Absolute, steps: [{ value: -Infinity, color: 'blue' }] };
    const own = ownThresholds({ warning: 0.5, critical: 0.9, exceeded: 1 });
    expect(budgetColor(0.6, own ?? panel)).toBe('yellow');
    expect(budgetColor(0.6, panel)).toBe('blue');
  });

  it('reaches a threshold at exactly its fraction, despite binary floating point', () => {
    // 0.29 * 100 is 28.999999999999996.
    const own = ownThresholds({ warning: 0.29, critical: 0.57, exceeded: 1.1 });
    expect(budgetColor(29 / 100, own)).toBe('yellow');
    expect(budgetColor(0.57, own)).toBe('orange');
    expect(budgetColor(0.5699, own)).toBe('yellow');
    expect(budgetState(0.57, { warning: 0.29, critical: 0.57, exceeded: 1.1 })).toBe('critical');
  });
});

describe('budgetState', () => {
  const ratios = { warning: 0.8, critical: 0.95, exceeded: 1 };
  it.each([
    [0.5, 'ok'],
    [0.8, 'warning'],
    [0.95, 'critical'],
    [1, 'exceeded'],
    [3, 'exceeded'],
  ])('%p of the budget is %s', (utilisation, state) => {
    expect(budgetState(utilisation, ratios)).toBe(state);
  });

  it('uses only the thresholds present, and is undefined with none', () => {
    expect(budgetState(0.99, { exceeded: 1.2 })).toBe('ok');
    expect(budgetState(0.99, {})).toBeUndefined();
  });
});
