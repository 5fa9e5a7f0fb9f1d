import type { Calculation, Sample } from './types';

/** Reduces samples (already in time order) to one number; undefined when there is nothing to reduce. */
export function calculate(samples: Sample[] | undefined, calculation: Calculation): number | undefined {
  if (!samples || samples.length === 0) {
    return undefined;
  }
  const values = samples.map((sample) => sample.value);
  switch (calculation) {
    case 'lastNotNull':
      return values[values.length - 1];
    case 'sum':
      return values.reduce((sum, value) => sum + value, 0);
    case 'max':
      return Math.max(...values);
    case 'mean':
      return values.reduce((sum, value) => sum + value, 0) / values.length;
  }
}

/** Samples in time order; samples without a time keep the order the frame gave them. */
export function inTimeOrder(samples: Sample[] | undefined): Sample[] {
  return [...(samples ?? [])].sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
}
