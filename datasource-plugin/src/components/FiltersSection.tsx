import React from 'react';
import { InlineField, MultiCombobox, Stack } from '@grafana/ui';
import { DIMENSION_LABELS } from '../constants';
import { DIMENSIONS, Dimension, Filters } from '../types';

interface Props {
  value: Filters;
  onChange: (value: Filters) => void;
  /** Suggestions for a dimension's values (typed values and `$variables` are accepted too). */
  suggest: (dimension: Dimension) => Promise<string[]>;
}

function FilterField({
  dimension,
  values,
  onChange,
  suggest,
}: {
  dimension: Dimension;
  values: string[];
  onChange: (values: string[]) => void;
  suggest: Props['suggest'];
}) {
  const label = DIMENSION_LABELS[dimension];
  const options = async (input: string) => {
    const suggestions = await suggest(dimension);
    return suggestions
      .filter((s) => s.toLowerCase().includes(input.toLowerCase()))
      .map((s) => ({ value: s, label: s }));
  };
  return (
    <InlineField label={label} labelWidth={14}>
      <MultiCombobox<string>
        id={`chargeback-filter-${dimension}`}
        options={options}
        value={values}
        createCustomValue
        placeholder="Any"
        width={48}
        onChange={(selected) => onChange(selected.map((o) => o.value))}
      />
    </InlineField>
  );
}

/** One multi-value filter per dimension; an empty filter means "any". */
export function FiltersSection({ value, onChange, suggest }: Props) {
  const set = (dimension: Dimension, values: string[]) => {
    const { [dimension]: _dropped, ...rest } = value;
    onChange(values.length > 0 ? { ...rest, [dimension]: values } : rest);
  };
  return (
    <Stack direction="column" gap={0}>
      {DIMENSIONS.map((dimension) => (
        <FilterField
          key={dimension}
          dimension={dimension}
          values={value[dimension] ?? []}
          onChange={(values) => set(dimension, values)}
          suggest={suggest}
        />
      ))}
    </Stack>
  );
}
