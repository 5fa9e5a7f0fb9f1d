import React from 'react';
import { InlineField, RadioButtonGroup } from '@grafana/ui';
import { SORT_LABELS } from '../constants';
import type { SortKey } from '../types';
import { toOptions } from './options';

const OPTIONS = toOptions(SORT_LABELS);

export function SortSection({ value, onChange }: { value: SortKey; onChange: (value: SortKey) => void }) {
  return (
    <InlineField label="Sort by" labelWidth={14} tooltip="Rows come most first; share is the share of this measure">
      <RadioButtonGroup<SortKey> options={OPTIONS} value={value} onChange={onChange} />
    </InlineField>
  );
}
