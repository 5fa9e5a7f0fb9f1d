import React from 'react';
import { InlineField, MultiCombobox } from '@grafana/ui';
import { DIMENSION_LABELS } from '../constants';
import type { Dimension } from '../types';
import { toOptions } from './options';

const OPTIONS = toOptions(DIMENSION_LABELS).map(({ value, label }) => ({ value: value!, label }));

export function GroupBySection({ value, onChange }: { value: Dimension[]; onChange: (value: Dimension[]) => void }) {
  return (
    <InlineField label="Group by" labelWidth={14}>
      <MultiCombobox<Dimension>
        id="chargeback-group-by"
        options={OPTIONS}
        value={value}
        width={48}
        onChange={(selected) => onChange(selected.map((o) => o.value))}
      />
    </InlineField>
  );
}
