const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 });

/** 1234567 → "1.2M": token and request counts at a glance. */
export function formatCount(value: number): string {
  return compact.format(value);
}

/** 0.3345 → "33.5%". */
export function formatPercent(ratio: number): string {
  return percent.format(ratio);
}
