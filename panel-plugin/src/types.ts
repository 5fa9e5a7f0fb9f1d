import type { Field, ThresholdsConfig } from '@grafana/data';

/** How the samples of one subject over the time range become one number. */
export type Calculation = 'lastNotNull' | 'sum' | 'max' | 'mean';

export type SortOrder = 'desc' | 'asc';

/**
 * What clicking a row does. `auto` follows the field's data links when it has any and otherwise sets the
 * dashboard variable.
 */
export type DrilldownMode = 'auto' | 'variable' | 'links' | 'none';

export interface TopUsersOptions {
  /** How many subjects to show (top N). */
  limit: number;
  /** String field (or, for Prometheus series, label) naming the subject; '' picks `user`, then the first one. */
  labelField: string;
  /** Number field to rank by; '' picks `costUsd`/`cost`, then the first number field. */
  valueField: string;
  /** Field (or Prometheus legend) holding the budget limit. */
  limitField: string;
  /** Field (or Prometheus legend) holding the budget spent so far; the ranked value when absent. */
  spentField: string;
  calculation: Calculation;
  sortOrder: SortOrder;
  showShare: boolean;
  showTokens: boolean;
  showRequests: boolean;
  showSparkline: boolean;
  showBudget: boolean;
  drilldown: DrilldownMode;
  /** Dashboard variable set by a click, without the `var-` prefix. */
  variableName: string;
}

/**
 * What a number field means to the panel. `threshold` is a budget's own threshold as a fraction of its limit
 * (`tokenledger_budget_threshold_ratio`), one sample per severity.
 */
export type MetricRole =
  'value' | 'inputTokens' | 'outputTokens' | 'tokens' | 'requests' | 'fee' | 'limit' | 'spent' | 'threshold';

/** The exporter's budget threshold severities, lowest first (`severity` label of the threshold gauge). */
export type BudgetSeverity = 'warning' | 'critical' | 'exceeded';

/** How far a budget is burnt against its own thresholds. */
export type BudgetState = 'ok' | BudgetSeverity;

/**
 * What tells two budgets of one subject apart: the exporter's budget gauges carry `scope` (user, team, ...)
 * and `period` (daily, weekly, monthly) beside `subject`; the chargeback datasource's budgets query has them
 * as columns. Absent parts are undefined.
 */
export interface BudgetIdentity {
  scope?: string;
  period?: string;
}

export interface Sample {
  /** Epoch milliseconds, when the frame has a time field. */
  time?: number;
  value: number;
}

/** Where data links for a subject are asked for: the value field and the row that represents the subject. */
export interface LinkSource {
  field: Field;
  rowIndex: number;
}

/**
 * Everything the frames say about one row, before reduction. A row is a subject, or one budget of a subject
 * when the data carries a budget identity (two budgets of team "eng" are two rows).
 */
export interface SubjectSamples {
  /** Unique per row: the subject, or the subject with its budget identity. */
  key: string;
  /** The subject (user, team, ...): what a click sets the dashboard variable to. */
  subject: string;
  /** What the row shows: the subject, plus what tells its budget apart ("eng — monthly"). */
  label: string;
  budget?: BudgetIdentity;
  /** Samples by role; `threshold` samples are kept per severity in `thresholds` instead. */
  metrics: Partial<Record<Exclude<MetricRole, 'threshold'>, Sample[]>>;
  /** The budget's own thresholds (fractions of its limit), when the data carries them. */
  thresholds?: Partial<Record<BudgetSeverity, Sample[]>>;
  link?: LinkSource;
}

/** Why frames could not be turned into a ranking; the panel explains each one. */
export type FrameProblem =
  | { kind: 'no-data' }
  | { kind: 'no-number-field' }
  | { kind: 'value-field-missing'; name: string; numberFields: string[] }
  | { kind: 'label-field-missing'; name: string; stringFields: string[] };

export interface ParsedFrames {
  subjects: SubjectSamples[];
  /** The first value field seen: its unit, decimals, colour, thresholds and links apply to every row. */
  valueField?: Field;
  /** What a subject is, for headings: the label field's name or the Prometheus label key ("user"). */
  subjectNoun: string;
  problem?: FrameProblem;
}

export interface Budget {
  limit: number;
  spent: number;
  /** spent / limit; 1 means the whole budget is used. */
  utilisation: number;
  /**
   * The budget's own thresholds as steps in percent of the limit, built from the data; undefined when the data
   * has none, and the panel's thresholds option colours the budget instead.
   */
  thresholds?: ThresholdsConfig;
  /** The highest of its own thresholds the budget has reached; undefined without thresholds of its own. */
  state?: BudgetState;
}

export interface RankedRow {
  rank: number;
  /** Unique per row (React key); see SubjectSamples. */
  key: string;
  subject: string;
  /** What the row shows, e.g. "eng — monthly". */
  label: string;
  value: number;
  /** Share of the total over every subject, not only the ones shown: 0..1. */
  share: number;
  tokens?: number;
  requests?: number;
  /** The per-call fees (web search, file search, ...) inside a cost value, when the data has them (`feeUsd`). */
  fee?: number;
  budget?: Budget;
  /** The ranked value over time, oldest first; empty unless the frame has a time field and two points. */
  trend: number[];
  link?: LinkSource;
}

export interface Ranking {
  rows: RankedRow[];
  /** Sum of the positive values of every subject. */
  total: number;
  subjectCount: number;
}
