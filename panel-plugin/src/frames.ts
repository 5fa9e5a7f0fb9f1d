import { FieldType, type DataFrame, type Field } from '@grafana/data';

import type { FrameProblem, MetricRole, ParsedFrames, Sample, SubjectSamples, TopUsersOptions } from './types';

type FrameOptions = Pick<TopUsersOptions, 'labelField' | 'valueField' | 'limitField' | 'spentField'>;

const DEFAULT_LABEL = 'user';
/** Series labels that name a subject, in order of preference (`subject` is what budget metrics carry). */
const SUBJECT_LABELS = [DEFAULT_LABEL, 'subject'];
const DEFAULT_VALUE_NAMES = ['costusd', 'cost'];
/** The exporter's budget metrics, recognised by `__name__` without any legend (see docs/metrics.md). */
const LIMIT_METRIC = 'tokenledgerbudgetlimitusd';
const SPENT_METRIC = 'tokenledgerbudgetspentusd';
/** Names the chargeback datasource and the exporter's metrics use; compared after `normalise`. */
const NAMED_ROLES: Array<[Exclude<MetricRole, 'value' | 'limit' | 'spent'>, string[]]> = [
  ['inputTokens', ['inputtokens', 'prompttokens']],
  ['outputTokens', ['outputtokens', 'completiontokens']],
  ['tokens', ['tokens', 'totaltokens']],
  ['requests', ['requests', 'requestcount']],
];

/**
 * Turns the panel's frames into samples per subject. Two shapes are understood:
 * - tables (chargeback datasource, Prometheus table/instant results): a string field names the subject on
 *   each row, optionally with a time field (long format);
 * - series (Prometheus range queries): one frame per series, the subject in the value field's labels.
 * Frames that only carry a budget (limit/spent) are merged into the same subjects by name.
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

  const bySubject = new Map<string, SubjectSamples>();
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
    const subjectOf = (field: Field, rowIndex: number): string | undefined => {
      if (labelField) {
        const raw = labelField.values[rowIndex];
        return raw === null || raw === undefined || raw === '' ? undefined : String(raw);
      }
      return seriesSubject(field, frame, options.labelField);
    };
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
        const entry = bySubject.get(subject) ?? { subject, metrics: {} };
        bySubject.set(subject, entry);
        const time = timeField?.values[row];
        const sample: Sample = typeof time === 'number' ? { time, value } : { value };
        (entry.metrics[role] ??= []).push(sample);
        if (role === 'value') {
          // The last row seen for a subject is the one data links are built from (latest bucket, same labels).
          entry.link = { field, rowIndex: row };
        }
      }
    }
  }

  result.subjects = [...bySubject.values()];
  const problem = findProblem(result, withRows, options, labelFound);
  return problem ? { ...result, subjects: [], problem } : result;
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
  return strings.find((field) => normalise(field.name) === DEFAULT_LABEL) ?? strings[0];
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
