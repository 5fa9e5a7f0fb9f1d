import React from 'react';
import type { QueryEditorProps } from '@grafana/data';
import { InlineField, RadioButtonGroup, Stack } from '@grafana/ui';
import { DIMENSION_LABELS } from '../constants';
import type { DataSource } from '../datasource';
import type { ChargebackOptions, ChargebackQuery, Dimension, VariableQuery } from '../types';
import { FiltersSection } from './FiltersSection';
import { toOptions } from './options';
import { suggester } from './suggest';

const DIMENSION_OPTIONS = toOptions(DIMENSION_LABELS);

type Props = QueryEditorProps<DataSource, ChargebackQuery, ChargebackOptions, VariableQuery>;

/** A variable's values: one dimension, optionally filtered (filters may use other variables, e.g. `$team`). */
export function VariableQueryEditor({ query, onChange, datasource, range }: Props) {
  const dimension = query.dimension ?? 'user';
  return (
    <Stack direction="column" gap={0}>
      <InlineField label="Values of" labelWidth={14}>
        <RadioButtonGroup<Dimension>
          options={DIMENSION_OPTIONS}
          value={dimension}
          onChange={(value) => onChange({ ...query, dimension: value })}
        />
      </InlineField>
      <FiltersSection
        value={query.filters ?? {}}
        onChange={(filters) => onChange({ ...query, dimension, filters })}
        suggest={suggester(datasource, range)}
      />
    </Stack>
  );
}
