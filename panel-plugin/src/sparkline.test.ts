import { sparklinePoints } from './sparkline';

describe('sparklinePoints', () => {
  it('spreads values over the width with the highest value at the top', () => {
    expect(sparklinePoints([0, 5, 10], 100, 22)).toBe('0,21 50,11 100,1');
  });

  it('scales from zero, so steady spend draws a steady line at the top', () => {
    expect(sparklinePoints([10, 9, 10], 60, 12)).toBe('0,1 30,2 60,1');
  });

  it('draws no spend along the bottom', () => {
    expect(sparklinePoints([0, 0, 0], 60, 16)).toBe('0,15 30,15 60,15');
  });

  it('puts zero in the middle of a series that crosses it', () => {
    expect(sparklinePoints([-5, 5], 10, 12)).toBe('0,11 10,1');
  });

  it('draws nothing for fewer than two points', () => {
    expect(sparklinePoints([7], 60, 16)).toBe('');
    expect(sparklinePoints([], 60, 16)).toBe('');
  });
});
