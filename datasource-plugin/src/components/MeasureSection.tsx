import React from 'react';
import { InlineField, RadioButtonGroup } from '@grafana/ui';
import { MEASURE_LABELS } from '../constants';
import type { Measure } from '../types';
import { toOptions } from './options';

const WITH_ALL = toOptions(MEASURE_LABELS);
const WITHOUT_ALL = toOptions(MEASURE_LABELS, (m) => m !== 'all');

interface Props {
  value: Measure;
  /** "Everything" (every column) makes sense for the breakdown table only. */
  allowAll: boolean;
  onChange: (value: Measure) => void;
}

export function MeasureSection({ value, allowAll, onChange }: Props) {
  return (
    <InlineField
      label="Measure"
      labelWidth={14}
      tooltip="Tokens gives one column per token bucket (input, cache read, cache write, output, reasoning)"
    >
      <RadioButtonGroup<Measure> options={allowAll ? WITH_ALL : WITHOUT_ALL} value={value} onChange={onChange} />
    </InlineField>
  );
}
