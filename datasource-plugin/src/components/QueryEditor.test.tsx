import React from 'react';
import { act, fireEvent, render, screen } from '@testing-library/react';
import { getDefaultTimeRange } from '@grafana/data';
import { QueryEditor } from './QueryEditor';
import type { DataSource } from '../datasource';
import type { ChargebackQuery } from '../types';

function renderEditor(query: ChargebackQuery) {
  const onChange = jest.fn();
  const onRunQuery = jest.fn();
  const dimensionValues = jest.fn(async () => ['alice@example.com', 'bob@example.com']);
  // The editor only calls dimensionValues on the data source.
  const datasource = { dimensionValues } as unknown as DataSource;
  render(<QueryEditor query={query} onChange={onChange} onRunQuery={onRunQuery} datasource={datasource} range={getDefaultTimeRange()} />);
  return { onChange, onRunQuery, dimensionValues };
}

describe('QueryEditor', () => {
  // The combobox menu is virtualised: with jsdom's zero-sized boxes it would render no options.
  beforeAll(() => {
    Element.prototype.getBoundingClientRect = () => ({ width: 120, height: 120, top: 0, left: 0, bottom: 0, right: 0, x: 0, y: 0, toJSON: () => ({}) });
  });

  it('switches the query type and runs the query', () => {
    const { onChange, onRunQuery } = renderEditor({ refId: 'A', queryType: 'breakdown' });
    fireEvent.click(screen.getByLabelText('Top N'));
    expect(onChange).toHaveBeenCalledWith({ refId: 'A', queryType: 'topN' });
    expect(onRunQuery).toHaveBeenCalled();
  });

  it('shows the sections each query type uses', () => {
    renderEditor({ refId: 'A', queryType: 'breakdown' });
    expect(screen.getByText('Measure')).toBeInTheDocument();
    expect(screen.getByLabelText('Everything')).toBeInTheDocument();
    expect(screen.getByText('Sort by')).toBeInTheDocument();
    expect(screen.queryByText('Limit')).not.toBeInTheDocument();
  });

  it('offers limit and "everyone else" for a top N, without "Everything"', () => {
    const { onChange } = renderEditor({ refId: 'A', queryType: 'topN', limit: 10, other: false });
    expect(screen.queryByLabelText('Everything')).not.toBeInTheDocument();
    const limit = screen.getByLabelText(/Limit/);
    fireEvent.change(limit, { target: { value: '5' } });
    fireEvent.blur(limit);
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ limit: 5, other: false }));
    fireEvent.click(screen.getByLabelText(/Everyone else/));
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ limit: 10, other: true }));
  });

  it('has no aggregation sections for budgets', () => {
    renderEditor({ refId: 'A', queryType: 'budgets' });
    expect(screen.queryByText('Measure')).not.toBeInTheDocument();
    expect(screen.queryByText('Group by')).not.toBeInTheDocument();
  });

  it('picks the measure', () => {
    const { onChange } = renderEditor({ refId: 'A', queryType: 'timeseries', measure: 'cost' });
    fireEvent.click(screen.getByLabelText('Tokens'));
    expect(onChange).toHaveBeenCalledWith({ refId: 'A', queryType: 'timeseries', measure: 'tokens' });
  });

  it('suggests filter values from the API and accepts a typed variable', async () => {
    const { onChange, dimensionValues } = renderEditor({ refId: 'A', queryType: 'breakdown', filters: { model: ['gpt-4o'] } });
    const user = screen.getByRole('combobox', { name: 'User' });
    await act(async () => fireEvent.click(user));
    expect(dimensionValues).toHaveBeenCalledWith('user', expect.objectContaining({ fromMs: expect.any(Number) }));
    await act(async () => fireEvent.change(user, { target: { value: '$user' } }));
    await act(async () => fireEvent.keyDown(user, { key: 'Enter' }));
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ filters: { model: ['gpt-4o'], user: ['$user'] } }));
  });
});
