import { css } from '@emotion/css';
import React from 'react';

import { sparklinePoints } from '../sparkline';

interface Props {
  values: number[];
  color: string;
  width: number;
  height: number;
}

/** The ranked value over the time range, as a line with a faint area under it. */
export function Sparkline({ values, color, width, height }: Props) {
  const points = sparklinePoints(values, width, height);
  if (!points) {
    return null;
  }
  return (
    <svg
      className={styles.svg}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label="Trend over the time range"
      data-testid="topusers-sparkline"
    >
      <polygon points={`0,${height} ${points} ${width},${height}`} fill={color} fillOpacity={0.15} />
      <polyline points={points} fill="none" stroke={color} strokeWidth={1.5} strokeLinejoin="round" />
    </svg>
  );
}

const styles = { svg: css({ flexShrink: 0, overflow: 'visible' }) };
