import { css } from '@emotion/css';
import { formattedValueToString, getDisplayProcessor, type GrafanaTheme2, type PanelProps } from '@grafana/data';
import { useStyles2, useTheme2 } from '@grafana/ui';
import React, { useMemo } from 'react';

import { resolveDrilldown, rowDrilldown } from '../drilldown';
import { parseFrames } from '../frames';
import { rankSubjects } from '../ranking';
import type { TopUsersOptions } from '../types';
import { Clickable } from './Clickable';
import { PanelMessage } from './PanelMessage';
import { SubjectRow } from './SubjectRow';

/** Below this width the rows drop the sparkline and the budget amount. */
const COMPACT_WIDTH = 360;

export function TopUsersPanel({ data, options, width, height }: PanelProps<TopUsersOptions>) {
  const theme = useTheme2();
  const styles = useStyles2(getStyles);
  const { labelField, valueField, limitField, spentField, limit, sortOrder, calculation } = options;
  const parsed = useMemo(
    () => parseFrames(data.series, { labelField, valueField, limitField, spentField }),
    [data.series, labelField, valueField, limitField, spentField]
  );
  const ranking = useMemo(
    () => rankSubjects(parsed.subjects, { limit, sortOrder, calculation }),
    [parsed, limit, sortOrder, calculation]
  );

  const field = parsed.valueField;
  if (parsed.problem || !field) {
    const error = data.errors?.[0]?.message ?? data.error?.message;
    return <PanelMessage problem={parsed.problem ?? { kind: 'no-data' }} error={error} />;
  }

  // Grafana gives processed fields a display processor; frames built by hand may lack one.
  const display = field.display ?? getDisplayProcessor({ field, theme });
  const maxValue = Math.max(0, ...ranking.rows.map((row) => row.value));
  const compact = width < COMPACT_WIDTH;
  const action = resolveDrilldown(options.drilldown, Boolean(field.config.links?.length), options.variableName);
  const noun = ranking.subjectCount === 1 ? parsed.subjectNoun : `${parsed.subjectNoun}s`;

  return (
    <div className={styles.panel} style={{ width, height }}>
      <div className={styles.summary}>
        <span>
          Top {ranking.rows.length} of {ranking.subjectCount} {noun}
        </span>
        <span>
          Total <strong className={styles.total}>{formattedValueToString(display(ranking.total))}</strong>
        </span>
      </div>
      <ol className={styles.list} aria-label={`Top ${noun} by ${field.config.displayName ?? field.name}`}>
        {ranking.rows.map((row) => (
          <li key={row.key} className={styles.item}>
            <Clickable
              action={rowDrilldown(action, row.subject)}
              subject={row.subject}
              label={row.label}
              variableName={options.variableName}
              links={() => row.link?.field.getLinks?.({ valueRowIndex: row.link.rowIndex }) ?? []}
            >
              <SubjectRow
                row={row}
                maxValue={maxValue}
                display={display}
                thresholds={field.config.thresholds}
                options={options}
                compact={compact}
              />
            </Clickable>
          </li>
        ))}
      </ol>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  panel: css({
    display: 'flex',
    flexDirection: 'column',
    overflow: 'hidden',
    fontSize: theme.typography.body.fontSize,
  }),
  summary: css({
    ...theme.typography.bodySmall,
    display: 'flex',
    justifyContent: 'space-between',
    flexWrap: 'wrap',
    gap: theme.spacing(1),
    padding: theme.spacing(0, 1, 0.5),
    color: theme.colors.text.secondary,
  }),
  total: css({ color: theme.colors.text.primary, fontVariantNumeric: 'tabular-nums' }),
  list: css({ listStyle: 'none', margin: 0, padding: 0, overflowY: 'auto', flex: 1, minHeight: 0 }),
  item: css({ margin: 0 }),
});
