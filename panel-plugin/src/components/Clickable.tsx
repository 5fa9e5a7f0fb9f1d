import { css, cx } from '@emotion/css';
import type { GrafanaTheme2, LinkModel } from '@grafana/data';
import { locationService } from '@grafana/runtime';
import { DataLinksContextMenu, useStyles2 } from '@grafana/ui';
import React from 'react';

import { variableQuery, type DrilldownAction } from '../drilldown';

interface Props {
  action: DrilldownAction;
  /** What a click selects: the subject, the value the dashboard variable takes. */
  subject: string;
  /** What the row is called (the subject, or "eng — monthly" for one of its budgets); the subject by default. */
  label?: string;
  variableName: string;
  links: () => LinkModel[];
  children: React.ReactNode;
}

/**
 * Makes a row open its drilldown by mouse and keyboard (Tab to focus, Enter or Space to open): a dashboard
 * variable change, or the value field's data links (one link is followed, several open a menu).
 */
export function Clickable({ action, subject, label = subject, variableName, links, children }: Props) {
  const styles = useStyles2(getStyles);
  if (action === 'variable') {
    return (
      <div
        className={cx(styles.target, styles.interactive)}
        role="button"
        tabIndex={0}
        aria-label={`${label}: show only ${subject} (sets ${variableName})`}
        onClick={() => locationService.partial(variableQuery(variableName, subject), true)}
        onKeyDown={clickOnEnterOrSpace}
      >
        {children}
      </div>
    );
  }
  if (action === 'links') {
    return (
      <DataLinksContextMenu links={links} style={{ display: 'block' }}>
        {(api) =>
          // One link: DataLinksContextMenu wraps the row in a focusable <a> itself. Several: open the menu.
          api.openMenu ? (
            <div
              className={cx(styles.target, styles.interactive)}
              role="button"
              tabIndex={0}
              aria-haspopup="menu"
              aria-label={`${label}: open links`}
              onClick={api.openMenu}
              onKeyDown={clickOnEnterOrSpace}
            >
              {children}
            </div>
          ) : (
            <div className={cx(styles.target, styles.interactive)}>{children}</div>
          )
        }
      </DataLinksContextMenu>
    );
  }
  return <div className={styles.target}>{children}</div>;
}

/**
 * Keyboard activation goes through a real click so that every drilldown path, including the data links menu
 * (which anchors keyboard clicks to the row), behaves the same as with the mouse.
 */
function clickOnEnterOrSpace(event: React.KeyboardEvent<HTMLElement>) {
  if (event.key === 'Enter' || event.key === ' ') {
    event.preventDefault();
    event.currentTarget.click();
  }
}

const getStyles = (theme: GrafanaTheme2) => ({
  target: css({
    display: 'block',
    padding: theme.spacing(0.75, 1),
    borderRadius: theme.shape.radius.default,
    color: 'inherit',
  }),
  interactive: css({
    cursor: 'pointer',
    '&:hover': { background: theme.colors.action.hover },
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.main}`, outlineOffset: -2 },
  }),
});
