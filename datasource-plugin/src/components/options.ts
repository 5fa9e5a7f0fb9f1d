import type { SelectableValue } from '@grafana/data';

/** Select/radio options from a label table, in the table's order. */
export function toOptions<T extends string>(
  labels: Record<T, string>,
  keep: (value: T) => boolean = () => true
): Array<SelectableValue<T>> {
  return (Object.keys(labels) as T[]).filter(keep).map((value) => ({ value, label: labels[value] }));
}
