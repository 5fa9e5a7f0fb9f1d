import React from 'react';
import type { QueryEditorProps } from '@grafana/data';
import { Stack } from '@grafana/ui';
import type { DataSource } from '../datasource';
import { ChargebackOptions, ChargebackQuery, DEFAULT_QUERY } from '../types';
import { FiltersSection } from './FiltersSection';
import { GroupBySection } from './GroupBySection';
import { MeasureSection } from './MeasureSection';
import { QueryTypeSection } from './QueryTypeSection';
import { SortSection } from './SortSection';
import { suggester } from './suggest';
import { TopNSection } from './TopNSection';

type Props = QueryEditorProps<DataSource, ChargebackQuery, ChargebackOptions>;

export function QueryEditor({ query, onChange, onRunQuery, datasource, range }: Props) {
  const q = { ...DEFAULT_QUERY, ...query };
  const queryType = q.queryType ?? 'breakdown';
  const update = (patch: Partial<ChargebackQuery>) => {
    onChange({ ...query, ...patch });
    onRunQuery();
  };
  const aggregates = queryType === 'breakdown' || queryType === 'topN' || queryType === 'timeseries';
  const measure = queryType !== 'breakdown' && q.measure === 'all' ? 'cost' : (q.measure ?? 'cost');

  return (
    <Stack direction="column" gap={0}>
      <QueryTypeSection value={queryType} onChange={(value) => update({ queryType: value })} />
      {aggregates && (
        <>
          <MeasureSection
            value={measure}
            allowAll={queryType === 'breakdown'}
            onChange={(value) => update({ measure: value })}
          />
          <GroupBySection value={q.groupBy ?? []} onChange={(value) => update({ groupBy: value })} />
          <FiltersSection
            value={q.filters ?? {}}
            onChange={(value) => update({ filters: value })}
            suggest={suggester(datasource, range)}
          />
        </>
      )}
      {queryType === 'topN' && (
        <TopNSection limit={q.limit ?? 10} other={q.other ?? false} onChange={(value) => update(value)} />
      )}
      {(queryType === 'breakdown' || queryType === 'topN') && (
        <SortSection value={q.sort ?? 'cost'} onChange={(value) => update({ sort: value })} />
      )}
    </Stack>
  );
}
