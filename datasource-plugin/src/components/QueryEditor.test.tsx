import React from 'react';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { getDefaultTimeRange } from '@grafana/data';
import { QueryEditor } from './QueryEditor';
import type { DataSource } from '../datasource';
import type { ChargebackQuery } from '../types';

/**
 * The combobox loads options 200 ms after the last keystroke, then re-renders the whole editor; in jsdom on a
 * busy 2-core machine that takes longer than Testing Library's 1 s default wait.
 */
const SLOW = { timeout: 5000 };

function renderEditor(query: ChargebackQuery) {
  const onChange = jest.fn();
  const onRunQuery = jest.fn();
  const dimensionValues = jest.fn(async () => ['alice@example.com', 'bob@example.com']);
  // The editor only calls dimensionValues on the data source.
  const datasource = { dimensionValues } as unknown as DataSource;
  render(
    <QueryEditor
      query={query}
      onChange={onChange}
      onRunQuery={onRunQuery}
      datasource={datasource}
      range={getDefaultTimeRange()}
    />
  );
  return { onChange, onRunQuery, dimensionValues };
}

describe('QueryEditor', () => {
  // The combobox menu is virtualised (@tanstack/react-virtual): it renders the rows that fit its scroll box's
  // clientHeight, which jsdom reports as 0. Give elements a size for these tests.
  const clientHeight = Object.getOwnPropertyDescriptor(Element.prototype, 'clientHeight')!;
  const clientWidth = Object.getOwnPropertyDescriptor(Element.prototype, 'clientWidth')!;
  beforeAll(() => {
    Object.defineProperty(Element.prototype, 'clientHeight', { configurable: true, get: () => 300 });
    Object.defineProperty(Element.prototype, 'clientWidth', { configurable: true, get: () => 300 });
  });
  afterAll(() => {
    Object.defineProperty(Element.prototype, 'clientHeight', clientHeight);
    Object.defineProperty(Element.prototype, 'clientWidth', clientWidth);
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
    const { onChange, dimensionValues } = renderEditor({
      refId: 'A',
      queryType: 'breakdown',
      filters: { model: ['gpt-4o'] },
    });
    const user = screen.getByRole('combobox', { name: 'User' });
    // Opening the menu loads the suggestions (after the combobox's debounce) for the editor's range.
    fireEvent.click(user);
    expect(await screen.findByRole('option', { name: 'bob@example.com' }, SLOW)).toBeInTheDocument();
    expect(dimensionValues).toHaveBeenCalledWith('user', expect.objectContaining({ fromMs: expect.any(Number) }));
    // A typed value matching no suggestion is offered as a custom value; picking it adds the filter.
    fireEvent.change(user, { target: { value: '$user' } });
    await waitFor(
      () => expect(screen.queryByRole('option', { name: 'bob@example.com' })).not.toBeInTheDocument(),
      SLOW
    );
    fireEvent.click(screen.getByRole('option', { name: /^\$user/ }));
    expect(onChange).toHaveBeenLastCalledWith(
      expect.objectContaining({ filters: { model: ['gpt-4o'], user: ['$user'] } })
    );
  }, 20_000);
});
