import { FieldType, type DataFrame, type Field } from '@grafana/data';

import { BUDGET_IDENTITY_LABELS, hasIdentity, isSeverity, labelRows, rowKey } from './budgets';
import type {
  BudgetIdentity,
  BudgetSeverity,
  FrameProblem,
  MetricRole,
  ParsedFrames,
  Sample,
  SubjectSamples,
  TopUsersOptions,
} from './types';

type FrameOptions = Pick<TopUsersOptions, 'labelField' | 'valueField' | 'limitField' | 'spentField'>;

const DEFAULT_LABEL = 'user';
/** Series labels that name a subject, in order of preference (`subject` is what budget metrics carry). */
const SUBJECT_LABELS = [DEFAULT_LABEL, 'subject'];
const DEFAULT_VALUE_NAMES = ['costusd', 'cost'];
/** The exporter's budget metrics, recognised by `__name__` without any legend (see docs/metrics.md). */
const LIMIT_METRIC = 'tokenledgerbudgetlimitusd';
const SPENT_METRIC = 'tokenledgerbudgetspentusd';
/**
 * A budget's own thresholds: the exporter's gauge (one series per severity), or a legend or column named
 * `threshold`; the severity comes from the `severity` label or column.
 */
const THRESHOLD_NAMES = ['tokenledgerbudgetthresholdratio', 'threshold', 'thresholdratio'];
/** The exporter's budget scopes (`apiKey` normalised), as they may name a cost query's subject label. */
const BUDGET_SCOPES = ['user', 'apikey', 'team', 'tier', 'global'];
/** Names the chargeback datasource and the exporter's metrics use; compared after `normalise`. */
const NAMED_ROLES: Array<[Exclude<MetricRole, 'value' | 'limit' | 'spent' | 'threshold'>, string[]]> = [
  ['inputTokens', ['inputtokens', 'prompttokens']],
  ['outputTokens', ['outputtokens', 'completiontokens']],
  ['tokens', ['tokens', 'totaltokens']],
  ['requests', ['requests', 'requestcount']],
  ['fee', ['feeusd', 'fee', 'fees']],
];

/**
 * Turns the panel's frames into samples per subject. Two shapes are understood:
 * - tables (chargeback datasource, Prometheus table/instant results): a string field names the subject on
 *   each row, optionally with a time field (long format);
 * - series (Prometheus range queries): one frame per series, the subject in the value field's labels.
 * Frames that only carry a budget (limit/spent, thresholds) are merged into the same subjects by name.
 *
 * Rows are keyed by budget when the data identifies one (`scope` and `period` labels or columns beside the
 * subject, as the exporter's budget gauges and the budgets query carry), else by subject: two budgets of
 * team "eng" are two rows, "eng — monthly" and "eng — daily".
 */
export function parseFrames(frames: DataFrame[], options: FrameOptions): ParsedFrames {
  const withRows = frames.filter((frame) => frame.length > 0 && frame.fields.length > 0);
  if (withRows.length === 0) {
    return { subjects: [], subjectNoun: options.labelField || DEFAULT_LABEL, problem: { kind: 'no-data' } };
  }
  const numberFields = withRows.flatMap((frame) => frame.fields.filter(isNumberField));
  if (numberFields.length === 0) {
    return { subjects: [], subjectNoun: options.labelField || DEFAULT_LABEL, problem: { kind: 'no-number-field' } };
  }

  const entries = new Map<string, Entry>();
  const result: ParsedFrames = { subjects: [], subjectNoun: options.labelField || DEFAULT_LABEL };
  let labelFound = false;

  for (const frame of withRows) {
    const roles = assignRoles(frame, options);
    const valueField = frame.fields.find((field) => roles.get(field) === 'value');
    if (valueField && !result.valueField) {
      result.valueField = valueField;
    }
    const labelField = findLabelField(frame, options.labelField);
    const timeField = frame.fields.find((field) => field.type === FieldType.time);
    const rowIdentity = labelField ? tableIdentity(frame, labelField) : undefined;
    const severityField = frame.fields.find((field) => isStringField(field) && normalise(field.name) === 'severity');
    const subjectOf = (field: Field, rowIndex: number): string | undefined => {
      if (labelField) {
        const raw = labelField.values[rowIndex];
        return raw === null || raw === undefined || raw === '' ? undefined : String(raw);
      }
      return seriesSubject(field, frame, options.labelField);
    };
    /** The label or column the subject came from: `user`, `subject`, ...; undefined for a series' name. */
    const subjectKeyOf = (field: Field): string | undefined =>
      labelField ? labelField.name : options.labelField || subjectLabelKey(field);
    const identityOf = (field: Field, rowIndex: number): BudgetIdentity | undefined =>
      rowIdentity ? rowIdentity(rowIndex) : seriesIdentity(field, subjectKeyOf(field));
    if (labelField || (options.labelField && numberFieldsHaveLabel(frame, options.labelField))) {
      labelFound = true;
    }
    if (labelField) {
      result.subjectNoun = labelField.name;
    } else if (!options.labelField) {
      result.subjectNoun = seriesLabelKey(frame) ?? result.subjectNoun;
    }

    for (const [field, role] of roles) {
      for (let row = 0; row < frame.length; row++) {
        const value = field.values[row];
        const subject = subjectOf(field, row);
        if (typeof value !== 'number' || !Number.isFinite(value) || subject === undefined) {
          continue;
        }
        const severity = role === 'threshold' ? (field.labels?.severity ?? severityField?.values[row]) : undefined;
        if (role === 'threshold' && !isSeverity(severity)) {
          continue;
        }
        const identity = identityOf(field, row);
        const key = rowKey(subject, identity);
        const entry = entries.get(key) ?? {
          order: entries.size,
          subjectKey: subjectKeyOf(field),
          samples: { key, subject, label: subject, budget: hasIdentity(identity) ? identity : undefined, metrics: {} },
        };
        entries.set(key, entry);
        const time = timeField?.values[row];
        const sample: Sample = typeof time === 'number' ? { time, value } : { value };
        if (role === 'threshold') {
          if (isSeverity(severity)) {
            ((entry.samples.thresholds ??= {})[severity] ??= []).push(sample);
          }
          continue;
        }
        (entry.samples.metrics[role] ??= []).push(sample);
        if (role === 'value') {
          // The last row seen for a row is the one data links are built from (latest bucket, same labels).
          entry.samples.link = { field, rowIndex: row };
        }
      }
    }
  }

  result.subjects = labelRows(mergeIntoBudgets([...entries.values()]));
  const problem = findProblem(result, withRows, options, labelFound);
  return problem ? { ...result, subjects: [], problem } : result;
}

/** A row being collected, with what is needed to join it to its subject's budget. */
interface Entry {
  samples: SubjectSamples;
  /** First seen first: the order rows are listed in. */
  order: number;
  /** Where the subject came from (`user`, `team`, `subject`); undefined when it is a series' name. */
  subjectKey?: string;
}

/**
 * Joins rows without a budget identity (a cost query by user) to their subject's budget row (the budget
 * gauges, `scope="user"`), as when both were keyed by subject alone, when that budget is the only one of the
 * subject in a matching scope. With several, nothing says which budget the cost belongs to: the cost keeps
 * a row of its own and each budget stays a row of its own.
 */
function mergeIntoBudgets(entries: Entry[]): SubjectSamples[] {
  const budgets = entries.filter((entry) => entry.samples.budget !== undefined);
  const groups = new Map<Entry, Entry[]>();
  for (const entry of entries) {
    const candidates = entry.samples.budget
      ? []
      : budgets.filter(
          (budget) =>
            budget.samples.subject === entry.samples.subject &&
            scopeFits(budget.samples.budget?.scope, entry.subjectKey)
        );
    const target = candidates.length === 1 ? candidates[0] : entry;
    const group = groups.get(target);
    if (group) {
      group.push(entry);
    } else {
      groups.set(target, [entry]);
    }
  }
  // Map order is insertion order: a joined row sits where the first of its parts was.
  return [...groups].map(([target, members]) => {
    if (members.length === 1) {
      return target.samples;
    }
    const joined: SubjectSamples = { ...target.samples, metrics: {}, thresholds: undefined, link: undefined };
    for (const member of [...members].sort((a, b) => a.order - b.order)) {
      for (const [role, samples] of Object.entries(member.samples.metrics) as Array<
        [keyof SubjectSamples['metrics'], Sample[]]
      >) {
        (joined.metrics[role] ??= []).push(...samples);
      }
      for (const [severity, samples] of Object.entries(member.samples.thresholds ?? {}) as Array<
        [BudgetSeverity, Sample[]]
      >) {
        ((joined.thresholds ??= {})[severity] ??= []).push(...samples);
      }
      joined.link = member.samples.link ?? joined.link;
    }
    return joined;
  });
}

/**
 * Whether a row keyed by `subjectKey` (`user`) may join a budget of `scope` (`user`, `team`, ...). Unknown on
 * either side fits; a label that is not a scope's name (`subject`) fits any scope.
 */
function scopeFits(scope: string | undefined, subjectKey: string | undefined): boolean {
  if (scope === undefined || subjectKey === undefined || !BUDGET_SCOPES.includes(normalise(subjectKey))) {
    return true;
  }
  return normalise(scope) === normalise(subjectKey);
}

/** A table's budget identity per row: its `scope` and `period` columns, other than the subject's own. */
function tableIdentity(
  frame: DataFrame,
  labelField: Field
): ((rowIndex: number) => BudgetIdentity | undefined) | undefined {
  const parts = BUDGET_IDENTITY_LABELS.flatMap((part) => {
    const field = frame.fields.find((f) => f !== labelField && isStringField(f) && normalise(f.name) === part);
    return field ? [[part, field] as const] : [];
  });
  if (parts.length === 0) {
    return undefined;
  }
  return (rowIndex) => {
    const identity: BudgetIdentity = {};
    for (const [part, field] of parts) {
      const raw = field.values[rowIndex];
      if (raw !== null && raw !== undefined && raw !== '') {
        identity[part] = String(raw);
      }
    }
    return identity;
  };
}

/** A series' budget identity: its `scope` and `period` labels, other than the one naming the subject. */
function seriesIdentity(field: Field, subjectKey: string | undefined): BudgetIdentity | undefined {
  const identity: BudgetIdentity = {};
  for (const part of BUDGET_IDENTITY_LABELS) {
    const raw = field.labels?.[part];
    if (part !== subjectKey && raw !== undefined && raw !== '') {
      identity[part] = raw;
    }
  }
  return identity;
}

function findProblem(
  parsed: ParsedFrames,
  frames: DataFrame[],
  options: FrameOptions,
  labelFound: boolean
): FrameProblem | undefined {
  if (options.labelField && !labelFound) {
    const stringFields = frames.flatMap((frame) => frame.fields.filter(isStringField).map((field) => field.name));
    return { kind: 'label-field-missing', name: options.labelField, stringFields: unique(stringFields) };
  }
  if (!parsed.subjects.some((subject) => subject.metrics.value?.length)) {
    const numberFields = frames.flatMap((frame) => frame.fields.filter(isNumberField).map((field) => field.name));
    return { kind: 'value-field-missing', name: options.valueField || 'costUsd', numberFields: unique(numberFields) };
  }
  return undefined;
}

/** Gives each number field of a frame a role; fields with none (e.g. a second, unnamed value) are left out. */
export function assignRoles(frame: DataFrame, options: FrameOptions): Map<Field, MetricRole> {
  const roles = new Map<Field, MetricRole>();
  const numberFields = frame.fields.filter(isNumberField);
  const singleSeries = numberFields.length === 1;
  const matches = (field: Field, names: string[]) =>
    fieldNames(field, singleSeries ? frame : undefined).some((name) => names.includes(name));

  const wantedValue = options.valueField ? [normalise(options.valueField)] : DEFAULT_VALUE_NAMES;
  for (const field of numberFields) {
    if (matches(field, wantedValue)) {
      roles.set(field, 'value');
    } else if (matches(field, [normalise(options.limitField), LIMIT_METRIC])) {
      roles.set(field, 'limit');
    } else if (matches(field, [normalise(options.spentField), SPENT_METRIC])) {
      roles.set(field, 'spent');
    } else if (matches(field, THRESHOLD_NAMES)) {
      roles.set(field, 'threshold');
    } else {
      const named = NAMED_ROLES.find(([, names]) => matches(field, names));
      if (named) {
        roles.set(field, named[0]);
      }
    }
  }
  // Without an explicitly chosen value field, the first unclaimed number field is the value
  // (Prometheus "Value", "Value #A").
  if (!options.valueField && ![...roles.values()].includes('value')) {
    const unclaimed = numberFields.find((field) => !roles.has(field));
    if (unclaimed) {
      roles.set(unclaimed, 'value');
    }
  }
  return roles;
}

function findLabelField(frame: DataFrame, wanted: string): Field | undefined {
  const strings = frame.fields.filter(isStringField);
  if (wanted) {
    return strings.find((field) => fieldNames(field).includes(normalise(wanted)));
  }
  // `user`, else `subject` (the budgets query), else the first string field.
  const named = SUBJECT_LABELS.map((label) => strings.find((field) => normalise(field.name) === label));
  return named.find((field) => field !== undefined) ?? strings[0];
}

/** Subject of a Prometheus-style series: the wanted label, else a subject label, else the series' name. */
function seriesSubject(field: Field, frame: DataFrame, wanted: string): string | undefined {
  if (wanted) {
    return field.labels?.[wanted];
  }
  const key = subjectLabelKey(field);
  if (key !== undefined) {
    return field.labels?.[key];
  }
  return field.config.displayNameFromDS ?? field.config.displayName ?? frame.name ?? field.name;
}

/** `user`, else `subject`, else the first label other than the metric name. */
function subjectLabelKey(field: Field | undefined): string | undefined {
  const keys = Object.keys(field?.labels ?? {}).filter((key) => key !== '__name__');
  return SUBJECT_LABELS.find((key) => keys.includes(key)) ?? keys[0];
}

function seriesLabelKey(frame: DataFrame): string | undefined {
  return subjectLabelKey(frame.fields.find(isNumberField));
}

function numberFieldsHaveLabel(frame: DataFrame, label: string): boolean {
  return frame.fields.some((field) => isNumberField(field) && field.labels?.[label] !== undefined);
}

/**
 * The names a user may know a field by: its name, display name, Prometheus legend and metric name, or the
 * frame's name.
 */
function fieldNames(field: Field, frame?: DataFrame): string[] {
  const names = [
    field.name,
    field.config.displayName,
    field.config.displayNameFromDS,
    field.labels?.__name__,
    frame?.name,
  ];
  return names.filter((name): name is string => Boolean(name)).map(normalise);
}

/** `Cost USD`, `cost_usd` and `costUsd` are the same name. */
function normalise(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9#]/g, '');
}

function isNumberField(field: Field): boolean {
  return field.type === FieldType.number;
}

function isStringField(field: Field): boolean {
  return field.type === FieldType.string;
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}
