import React from 'react';
import { InlineField, RadioButtonGroup } from '@grafana/ui';
import { QUERY_TYPE_LABELS } from '../constants';
import type { QueryType } from '../types';
import { toOptions } from './options';

const OPTIONS = toOptions(QUERY_TYPE_LABELS);

export function QueryTypeSection({ value, onChange }: { value: QueryType; onChange: (value: QueryType) => void }) {
  return (
    <InlineField label="Query type" labelWidth={14}>
      <RadioButtonGroup<QueryType> options={OPTIONS} value={value} onChange={onChange} />
    </InlineField>
  );
}
