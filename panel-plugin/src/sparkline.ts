/**
 * SVG polyline points for values drawn into a width x height box, oldest value on the left. The scale starts
 * at zero so that steady spend looks steady instead of magnifying cents into zigzags; the 1px inset keeps the
 * stroke inside the box.
 */
export function sparklinePoints(values: number[], width: number, height: number): string {
  if (values.length < 2) {
    return '';
  }
  const min = Math.min(0, ...values);
  const max = Math.max(0, ...values);
  const span = max - min;
  const inner = height - 2;
  return values
    .map((value, index) => {
      const x = (index / (values.length - 1)) * width;
      const y = 1 + inner - (span === 0 ? 0 : ((value - min) / span) * inner);
      return `${round(x)},${round(y)}`;
    })
    .join(' ');
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
