import { ThresholdsMode } from '@grafana/data';

import { budgetColor } from './thresholds';

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
