import { css, cx } from '@emotion/css';
import {
  type DisplayProcessor,
  formattedValueToString,
  type GrafanaTheme2,
  type ThresholdsConfig,
} from '@grafana/data';
import { useStyles2, useTheme2 } from '@grafana/ui';
import React from 'react';

import { formatPercent } from '../format';
import { budgetColor } from '../thresholds';
import type { Budget } from '../types';

interface Props {
  budget: Budget;
  /** The budget's own thresholds when the data has them, else the panel's. */
  thresholds: ThresholdsConfig | undefined;
  display: DisplayProcessor;
  /** Small panels show the percentage only. */
  compact: boolean;
}

/**
 * How much of the budget is used, coloured by the thresholds (the budget's own from the data, else the
 * panel's, 80 / 95 / 100 % by default); a budget with its own thresholds names the one reached.
 */
export function BudgetBar({ budget, thresholds, display, compact }: Props) {
  const theme = useTheme2();
  const styles = useStyles2(getStyles);
  const color = theme.visualization.getColorByName(budgetColor(budget.utilisation, thresholds));
  const used = formatPercent(budget.utilisation);
  const limit = formattedValueToString(display(budget.limit));
  const state = budget.state ? ` (${budget.state})` : '';
  return (
    <div
      className={styles.budget}
      data-testid="topusers-budget"
      data-state={budget.state}
      title={`${used} of the ${limit} budget used${state}`}
    >
      <div
        className={styles.track}
        role="meter"
        aria-label="Budget used"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(budget.utilisation * 100)}
        aria-valuetext={`${used} of ${limit}${state}`}
      >
        <div
          className={styles.fill}
          style={{ width: `${Math.min(1, budget.utilisation) * 100}%`, background: color }}
        />
      </div>
      <span className={compact ? styles.text : cx(styles.text, styles.fullText)}>
        <span className={styles.used} style={{ color }}>
          {used}
        </span>
        {!compact && <> of {limit} budget</>}
      </span>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  budget: css({ display: 'flex', alignItems: 'center', gap: theme.spacing(0.75), minWidth: 0 }),
  track: css({
    width: 56,
    height: 6,
    flexShrink: 0,
    borderRadius: theme.shape.radius.pill,
    background: theme.colors.background.canvas,
    border: `1px solid ${theme.colors.border.weak}`,
    overflow: 'hidden',
  }),
  fill: css({ height: '100%', borderRadius: theme.shape.radius.pill }),
  text: css({ whiteSpace: 'nowrap', color: theme.colors.text.secondary }),
  // A fixed width keeps the meters, and the sparklines before them, in one column from row to row.
  fullText: css({ width: theme.spacing(20), overflow: 'hidden', textOverflow: 'ellipsis' }),
  used: css({ fontWeight: theme.typography.fontWeightMedium }),
});
