import { formatCount, formatPercent } from './format';

describe('formatCount', () => {
  it.each([
    [0, '0'],
    [950, '950'],
    [12_904, '12.9K'],
    [119_700_000, '119.7M'],
    [2_400_000_000, '2.4B'],
  ])('%p → %s', (value, text) => {
    expect(formatCount(value)).toBe(text);
  });
});

describe('formatPercent', () => {
  it.each([
    [0, '0%'],
    [0.3345, '33.5%'],
    [1, '100%'],
    [1.0918, '109.2%'],
  ])('%p → %s', (ratio, text) => {
    expect(formatPercent(ratio)).toBe(text);
  });
});
