import type { BudgetIdentity, BudgetSeverity, SubjectSamples } from './types';

/** The exporter's threshold severities, lowest first (docs/metrics.md, `tokenledger_budget_threshold_ratio`). */
export const BUDGET_SEVERITIES: readonly BudgetSeverity[] = ['warning', 'critical', 'exceeded'];

/** Labels (Prometheus) or columns (tables) that, beside the subject, identify a budget. */
export const BUDGET_IDENTITY_LABELS: ReadonlyArray<keyof BudgetIdentity> = ['scope', 'period'];

/** Between a subject and the budget it names: "eng — monthly". */
export const LABEL_SEPARATOR = ' — ';

export function isSeverity(raw: unknown): raw is BudgetSeverity {
  return typeof raw === 'string' && (BUDGET_SEVERITIES as readonly string[]).includes(raw);
}

/** Whether any part of a budget identity is known. */
export function hasIdentity(identity: BudgetIdentity | undefined): identity is BudgetIdentity {
  return identity !== undefined && BUDGET_IDENTITY_LABELS.some((part) => identity[part] !== undefined);
}

/**
 * The key of a row: the subject alone when nothing identifies a budget (every earlier panel's key), else the
 * subject with its scope and period, so two budgets of one subject are two rows.
 */
export function rowKey(subject: string, identity: BudgetIdentity | undefined): string {
  if (!hasIdentity(identity)) {
    return subject;
  }
  return JSON.stringify([subject, identity.scope ?? null, identity.period ?? null]);
}

/**
 * What a row shows: the subject, its scope in brackets when the same subject has budgets in several scopes
 * (user "ann" and team "ann"), then the period: "eng — monthly", "ann (team) — daily".
 */
export function budgetLabel(subject: string, identity: BudgetIdentity | undefined, withScope: boolean): string {
  const scope = identity?.scope;
  const name = withScope && scope !== undefined && scope !== subject ? `${subject} (${scope})` : subject;
  return identity?.period !== undefined ? `${name}${LABEL_SEPARATOR}${identity.period}` : name;
}

/** Labels every row; the scope is named only for subjects whose budgets span more than one scope. */
export function labelRows(rows: SubjectSamples[]): SubjectSamples[] {
  const scopes = new Map<string, Set<string>>();
  for (const row of rows) {
    const scope = row.budget?.scope;
    if (scope !== undefined) {
      scopes.set(row.subject, (scopes.get(row.subject) ?? new Set<string>()).add(scope));
    }
  }
  return rows.map((row) => ({
    ...row,
    label: budgetLabel(row.subject, row.budget, (scopes.get(row.subject)?.size ?? 0) > 1),
  }));
}
