import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Icon, useStyles2 } from '@grafana/ui';
import React from 'react';

import type { FrameProblem } from '../types';

const PROMETHEUS_EXAMPLE = 'topk(10, sum by (user) (increase(tokenledger_cost_usd_total[$__range])))';

interface Props {
  problem: FrameProblem;
  /** The query error, when the request failed; it explains the missing data better than anything else. */
  error?: string;
}

/** Says what the panel needs instead of drawing an empty box. */
export function PanelMessage({ problem, error }: Props) {
  const styles = useStyles2(getStyles);
  const { title, detail } = error ? { title: 'The query failed', detail: error } : describe(problem);
  return (
    <div className={styles.wrapper} role="status" data-testid="topusers-message">
      <Icon name={error ? 'exclamation-triangle' : 'info-circle'} size="xl" className={styles.icon} />
      <div className={styles.title}>{title}</div>
      <div className={styles.detail}>{detail}</div>
    </div>
  );
}

function describe(problem: FrameProblem): { title: string; detail: React.ReactNode } {
  switch (problem.kind) {
    case 'no-data':
      return { title: 'No data', detail: 'The query returned no rows for this time range.' };
    case 'no-number-field':
      return {
        title: 'Needs a number field to rank by',
        detail: (
          <>
            Use the chargeback datasource (user, costUsd, tokens, requests) or a Prometheus query such as{' '}
            <code>{PROMETHEUS_EXAMPLE}</code>.
          </>
        ),
      };
    case 'value-field-missing':
      return {
        title: `No value field "${problem.name}"`,
        detail: `Number fields in the data: ${listOrNone(problem.numberFields)}. Choose one under Ranking › Value field.`,
      };
    case 'label-field-missing':
      return {
        title: `No label field "${problem.name}"`,
        detail: `String fields in the data: ${listOrNone(problem.stringFields)}. Choose one under Ranking › Label field, or a series label.`,
      };
  }
}

function listOrNone(names: string[]): string {
  return names.length ? names.join(', ') : 'none';
}

const getStyles = (theme: GrafanaTheme2) => ({
  wrapper: css({
    height: '100%',
    display: 'flex',
    flexDirection: 'column',
    alignItems: 'center',
    justifyContent: 'center',
    textAlign: 'center',
    gap: theme.spacing(1),
    padding: theme.spacing(2),
    overflow: 'auto',
  }),
  icon: css({ color: theme.colors.text.secondary }),
  title: css({ ...theme.typography.h5, margin: 0 }),
  detail: css({
    ...theme.typography.bodySmall,
    color: theme.colors.text.secondary,
    maxWidth: 480,
    code: { wordBreak: 'break-all' },
  }),
});
