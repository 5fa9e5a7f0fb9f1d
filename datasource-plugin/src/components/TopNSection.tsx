import React from 'react';
import { InlineField, InlineSwitch, Input } from '@grafana/ui';

interface Props {
  limit: number;
  other: boolean;
  onChange: (value: { limit: number; other: boolean }) => void;
}

export function TopNSection({ limit, other, onChange }: Props) {
  return (
    <>
      <InlineField label="Limit" labelWidth={14} tooltip="How many rows, 1 to 10,000">
        <Input
          id="chargeback-limit"
          type="number"
          min={1}
          max={10000}
          width={10}
          defaultValue={limit}
          onBlur={(e) => {
            const parsed = Number.parseInt(e.currentTarget.value, 10);
            onChange({ limit: Number.isInteger(parsed) && parsed >= 1 ? Math.min(parsed, 10000) : limit, other });
          }}
        />
      </InlineField>
      <InlineField label="Everyone else" labelWidth={14} tooltip="Add one row for everything the limit cut">
        <InlineSwitch
          id="chargeback-other"
          value={other}
          onChange={(e) => onChange({ limit, other: e.currentTarget.checked })}
        />
      </InlineField>
    </>
  );
}
