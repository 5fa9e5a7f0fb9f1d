import React from 'react';
import { fireEvent, render, screen } from '@testing-library/react';
import { getDefaultTimeRange } from '@grafana/data';
import { VariableQueryEditor } from './VariableQueryEditor';
import type { DataSource } from '../datasource';
import type { VariableQuery } from '../types';

function renderEditor(query: VariableQuery) {
  const onChange = jest.fn();
  // The editor only calls dimensionValues on the data source (for filter suggestions).
  const datasource = { dimensionValues: jest.fn(async () => []) } as unknown as DataSource;
  render(
    <VariableQueryEditor
      query={query}
      onChange={onChange}
      onRunQuery={jest.fn()}
      datasource={datasource}
      range={getDefaultTimeRange()}
    />
  );
  return { onChange };
}

describe('VariableQueryEditor', () => {
  it('picks the dimension whose values the variable lists, keeping its filters', () => {
    const { onChange } = renderEditor({ refId: 'V', dimension: 'user', filters: { team: ['$team'] } });
    // "User" also labels the user filter: take the radio button.
    expect(screen.getByRole('radio', { name: 'User' })).toBeChecked();
    fireEvent.click(screen.getByRole('radio', { name: 'Model' }));
    expect(onChange).toHaveBeenCalledWith({ refId: 'V', dimension: 'model', filters: { team: ['$team'] } });
  });

  it('offers a filter per dimension and shows the current values', () => {
    renderEditor({ refId: 'V', dimension: 'model', filters: { team: ['$team'] } });
    for (const name of ['User', 'API key', 'Team', 'Tier']) {
      expect(screen.getByRole('combobox', { name })).toBeInTheDocument();
    }
    expect(screen.getByText('$team')).toBeInTheDocument();
  });
});
