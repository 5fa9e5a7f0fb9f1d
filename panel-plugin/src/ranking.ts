import { calculate, inTimeOrder } from './calculations';
import type { Budget, Calculation, RankedRow, Ranking, SortOrder, SubjectSamples } from './types';

export interface RankingOptions {
  limit: number;
  sortOrder: SortOrder;
  calculation: Calculation;
}

/**
 * Ranks subjects by their reduced value and keeps the top `limit`. Shares are of the total over every
 * subject, so the top N of a long tail add up to less than 100 %. Ties are broken by name so the order is
 * stable between refreshes.
 */
export function rankSubjects(subjects: SubjectSamples[], options: RankingOptions): Ranking {
  const rows = subjects.flatMap((subject) => {
    const row = toRow(subject, options.calculation);
    return row ? [row] : [];
  });
  const total = rows.reduce((sum, row) => sum + Math.max(0, row.value), 0);
  const direction = options.sortOrder === 'asc' ? 1 : -1;
  rows.sort((a, b) => direction * (a.value - b.value) || a.subject.localeCompare(b.subject));

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
    subject: subject.subject,
    value,
    share: 0,
    tokens,
    requests: reduce(subject.metrics.requests),
    budget: toBudget(reduce(subject.metrics.limit), reduce(subject.metrics.spent) ?? value),
    trend: timed.length >= 2 ? timed.map((sample) => sample.value) : [],
    link: subject.link,
  };
}

function toBudget(limit: number | undefined, spent: number): Budget | undefined {
  if (limit === undefined || limit <= 0) {
    return undefined;
  }
  return { limit, spent, utilisation: spent / limit };
}
