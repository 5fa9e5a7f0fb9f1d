import { css } from '@emotion/css';
import {
  formattedValueToString,
  type DisplayProcessor,
  type GrafanaTheme2,
  type ThresholdsConfig,
} from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import React from 'react';

import { formatCount, formatPercent } from '../format';
import type { RankedRow, TopUsersOptions } from '../types';
import { BudgetBar } from './BudgetBar';
import { Sparkline } from './Sparkline';

type ColumnOptions = Pick<
  TopUsersOptions,
  'showShare' | 'showTokens' | 'showRequests' | 'showSparkline' | 'showBudget'
>;

interface Props {
  row: RankedRow;
  /** The largest value shown: its bar fills the row. */
  maxValue: number;
  display: DisplayProcessor;
  /** The panel's thresholds: they colour a budget that has none of its own in the data. */
  thresholds: ThresholdsConfig | undefined;
  options: ColumnOptions;
  compact: boolean;
}

/** One subject (or one budget of a subject): rank, name, amount and share, a bar to scale, then tokens, requests, trend and budget. */
export function SubjectRow({ row, maxValue, display, thresholds, options, compact }: Props) {
  const styles = useStyles2(getStyles);
  const shown = display(row.value);
  const color = shown.color ?? 'currentColor';
  const barWidth = maxValue > 0 ? Math.max(0, row.value / maxValue) * 100 : 0;
  const counts = [
    options.showTokens && row.tokens !== undefined ? `${formatCount(row.tokens)} tokens` : undefined,
    options.showRequests && row.requests !== undefined ? `${formatCount(row.requests)} requests` : undefined,
  ].filter(Boolean);
  const showTrend = options.showSparkline && !compact && row.trend.length >= 2;
  const showBudget = options.showBudget && row.budget !== undefined;

  return (
    <div className={styles.row} data-testid="topusers-row">
      <div className={styles.heading}>
        <span className={styles.rank}>{row.rank}</span>
        <span className={styles.subject} title={row.label}>
          {row.label}
        </span>
        <span
          className={styles.amount}
          title={
            row.fee !== undefined
              ? `${formattedValueToString(shown)}, of which per-call fees ${formattedValueToString(display(row.fee))}`
              : undefined
          }
        >
          {formattedValueToString(shown)}
        </span>
        {options.showShare && <span className={styles.share}>{formatPercent(row.share)}</span>}
      </div>
      <div className={styles.track} aria-hidden>
        <div className={styles.bar} style={{ width: `${barWidth}%`, background: color }} />
      </div>
      {(counts.length > 0 || showTrend || showBudget) && (
        <div className={styles.details}>
          {counts.length > 0 && <span className={styles.counts}>{counts.join(' · ')}</span>}
          {(showTrend || showBudget) && (
            <span className={styles.meters}>
              {showTrend && <Sparkline values={row.trend} color={color} width={64} height={16} />}
              {showBudget && row.budget && (
                <BudgetBar
                  budget={row.budget}
                  thresholds={row.budget.thresholds ?? thresholds}
                  display={display}
                  compact={compact}
                />
              )}
            </span>
          )}
        </div>
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => {
  // Bars and details start under the name, past the rank column and the gap after it.
  const rankWidth = theme.spacing(2.5);
  const indent = `calc(${rankWidth} + ${theme.spacing(1)})`;
  return {
    row: css({ display: 'flex', flexDirection: 'column', gap: theme.spacing(0.5), minWidth: 0 }),
    heading: css({ display: 'flex', alignItems: 'baseline', gap: theme.spacing(1), minWidth: 0 }),
    rank: css({
      ...theme.typography.bodySmall,
      color: theme.colors.text.secondary,
      width: rankWidth,
      flexShrink: 0,
      textAlign: 'right',
      fontVariantNumeric: 'tabular-nums',
    }),
    subject: css({
      flex: 1,
      minWidth: 0,
      overflow: 'hidden',
      textOverflow: 'ellipsis',
      whiteSpace: 'nowrap',
      fontWeight: theme.typography.fontWeightMedium,
    }),
    amount: css({
      fontWeight: theme.typography.fontWeightBold,
      fontVariantNumeric: 'tabular-nums',
      whiteSpace: 'nowrap',
    }),
    share: css({
      ...theme.typography.bodySmall,
      color: theme.colors.text.secondary,
      minWidth: '3.5em',
      textAlign: 'right',
      fontVariantNumeric: 'tabular-nums',
    }),
    track: css({
      height: 8,
      marginLeft: indent,
      borderRadius: theme.shape.radius.pill,
      background: theme.colors.background.secondary,
      overflow: 'hidden',
    }),
    bar: css({ height: '100%', borderRadius: theme.shape.radius.pill, minWidth: 2 }),
    details: css({
      ...theme.typography.bodySmall,
      display: 'flex',
      alignItems: 'center',
      flexWrap: 'wrap',
      columnGap: theme.spacing(1.5),
      rowGap: theme.spacing(0.25),
      marginLeft: indent,
      color: theme.colors.text.secondary,
    }),
    // Counts keep their full text; when the meters do not fit beside them they wrap to a line of their own.
    counts: css({ whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis', maxWidth: '100%' }),
    meters: css({ display: 'flex', alignItems: 'center', gap: theme.spacing(1.5), marginLeft: 'auto' }),
  };
};
