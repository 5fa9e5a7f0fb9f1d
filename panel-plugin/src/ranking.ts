import { BUDGET_SEVERITIES } from './budgets';
import { calculate, inTimeOrder } from './calculations';
import { budgetState, ownThresholds, type ThresholdRatios } from './thresholds';
import type { Budget, Calculation, RankedRow, Ranking, SortOrder, SubjectSamples } from './types';

export interface RankingOptions {
  limit: number;
  sortOrder: SortOrder;
  calculation: Calculation;
}

/**
 * Ranks rows (subjects, or budgets of subjects) by their reduced value and keeps the top `limit`. Shares are
 * of the total over every row, so the top N of a long tail add up to less than 100 %. Ties are broken by the
 * row's label so the order is stable between refreshes.
 */
export function rankSubjects(subjects: SubjectSamples[], options: RankingOptions): Ranking {
  const rows = subjects.flatMap((subject) => {
    const row = toRow(subject, options.calculation);
    return row ? [row] : [];
  });
  const total = rows.reduce((sum, row) => sum + Math.max(0, row.value), 0);
  const direction = options.sortOrder === 'asc' ? 1 : -1;
  rows.sort((a, b) => direction * (a.value - b.value) || a.label.localeCompare(b.label));

  return {
    rows: rows.slice(0, Math.max(0, options.limit)).map((row, index) => ({
      ...row,
      rank: index + 1,
      share: shareOf(row.value, total),
    })),
    total,
    subjectCount: rows.length,
  };
}

/** A value's share of a total, 0..1; negative values and an empty total count as no share. */
export function shareOf(value: number, total: number): number {
  return total > 0 ? Math.max(0, value) / total : 0;
}

function toRow(subject: SubjectSamples, calculation: Calculation): RankedRow | undefined {
  const valueSamples = inTimeOrder(subject.metrics.value);
  const value = calculate(valueSamples, calculation);
  if (value === undefined) {
    return undefined;
  }
  const reduce = (samples: SubjectSamples['metrics']['value']) => calculate(inTimeOrder(samples), calculation);
  const input = reduce(subject.metrics.inputTokens);
  const output = reduce(subject.metrics.outputTokens);
  const tokens =
    reduce(subject.metrics.tokens) ??
    (input !== undefined || output !== undefined ? (input ?? 0) + (output ?? 0) : undefined);
  const timed = valueSamples.filter((sample) => sample.time !== undefined);

  return {
    rank: 0,
    key: subject.key,
    subject: subject.subject,
    label: subject.label,
    value,
    share: 0,
    tokens,
    requests: reduce(subject.metrics.requests),
    fee: reduce(subject.metrics.fee),
    budget: toBudget(reduce(subject.metrics.limit), reduce(subject.metrics.spent) ?? value, thresholdRatios(subject)),
    trend: timed.length >= 2 ? timed.map((sample) => sample.value) : [],
    link: subject.link,
  };
}

function toBudget(limit: number | undefined, spent: number, ratios: ThresholdRatios): Budget | undefined {
  if (limit === undefined || limit <= 0) {
    return undefined;
  }
  const utilisation = spent / limit;
  const thresholds = ownThresholds(ratios);
  return thresholds
    ? { limit, spent, utilisation, thresholds, state: budgetState(utilisation, ratios) }
    : { limit, spent, utilisation };
}

/**
 * The budget's own thresholds, each its latest sample whatever the calculation: a threshold is configuration,
 * summing or averaging it over the range would mean nothing.
 */
function thresholdRatios(subject: SubjectSamples): ThresholdRatios {
  const ratios: ThresholdRatios = {};
  for (const severity of BUDGET_SEVERITIES) {
    const ratio = calculate(inTimeOrder(subject.thresholds?.[severity]), 'lastNotNull');
    if (ratio !== undefined) {
      ratios[severity] = ratio;
    }
  }
  return ratios;
}
