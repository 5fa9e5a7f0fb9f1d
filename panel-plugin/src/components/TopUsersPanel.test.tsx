import {
  EventBusSrv,
  FieldType,
  LoadingState,
  ThresholdsMode,
  createTheme,
  getDefaultTimeRange,
  type DataFrame,
  type FieldConfigSource,
  type PanelProps,
} from '@grafana/data';
import { locationService } from '@grafana/runtime';
import { fireEvent, render, screen, within } from '@testing-library/react';
import React from 'react';

import {
  budgetBurnOptions,
  chargebackBudgetsFrame,
  chargebackDailyFrame,
  chargebackFrame,
  prometheusBudgetBurnFrames,
  prometheusMatrixFrames,
  prometheusTableFrame,
  spenders,
} from '../__fixtures__/frames';
import { processFrames, registerStandardOptions } from '../__fixtures__/grafana';
import { defaultOptions } from '../defaults';
import { plugin } from '../module';
import type { TopUsersOptions } from '../types';
import { TopUsersPanel } from './TopUsersPanel';

const theme = createTheme({ colors: { mode: 'dark' } });

interface Setup {
  frames?: DataFrame[];
  options?: Partial<TopUsersOptions>;
  width?: number;
  state?: LoadingState;
  error?: string;
  processed?: boolean;
  fieldConfig?: FieldConfigSource;
}

function renderPanel({
  frames = [chargebackFrame()],
  options = {},
  width = 640,
  state,
  error,
  processed = true,
  fieldConfig,
}: Setup = {}) {
  const series = processed ? processFrames(frames, plugin, theme, fieldConfig) : frames;
  const props: PanelProps<TopUsersOptions> = {
    id: 1,
    data: {
      state: state ?? LoadingState.Done,
      series,
      timeRange: getDefaultTimeRange(),
      errors: error ? [{ message: error }] : undefined,
    },
    timeRange: getDefaultTimeRange(),
    timeZone: 'utc',
    options: { ...defaultOptions, ...options },
    // Read after processFrames: the plugin's defaults exist once the standard options are registered.
    fieldConfig: fieldConfig ?? plugin.fieldConfigDefaults,
    transparent: false,
    width,
    height: 400,
    renderCounter: 0,
    title: 'Top users by cost',
    eventBus: new EventBusSrv(),
    onOptionsChange: jest.fn(),
    onFieldConfigChange: jest.fn(),
    replaceVariables: (value: string) => value,
    onChangeTimeRange: jest.fn(),
  };
  return render(<TopUsersPanel {...props} />);
}

const rows = () => screen.getAllByTestId('topusers-row');
const subjects = () => rows().map((row) => row.querySelector('[title]')?.textContent);
/** A colour name as the DOM reports it once set as a style. */
const rgb = (name: string) => {
  const probe = document.createElement('span');
  probe.style.color = theme.visualization.getColorByName(name);
  return probe.style.color;
};
/** The colour of each row's budget percentage, in row order. */
const budgetColors = () =>
  screen.getAllByTestId('topusers-budget').map((budget) => within(budget).getByText(/%$/).style.color);

describe('TopUsersPanel with the chargeback frame', () => {
  it('lists the top N users by cost with amount in the unit, share, tokens and requests', () => {
    renderPanel({ options: { limit: 3 } });
    expect(subjects()).toEqual(['maria.chen', 'j.okafor', 'data-science-bot']);
    const first = within(rows()[0]);
    expect(first.getByText('$1.84K')).toBeInTheDocument();
    expect(first.getByText('34.2%')).toBeInTheDocument();
    expect(first.getByText('119.7M tokens · 48.2K requests')).toBeInTheDocument();
    expect(screen.getByText('Top 3 of 8 users')).toBeInTheDocument();
    expect(screen.getByText('$5.39K')).toBeInTheDocument();
  });

  it("says in the amount's tooltip how much of it is per-call fees, when the data has them", () => {
    const frame = chargebackFrame();
    frame.fields.push({
      name: 'feeUsd',
      type: FieldType.number,
      values: spenders.map((s) => Math.round(s.costUsd * 10) / 100),
      config: { unit: 'currencyUSD' },
    });
    renderPanel({ frames: [frame], options: { limit: 2 } });
    expect(within(rows()[0]).getByText('$1.84K')).toHaveAttribute('title', '$1.84K, of which per-call fees $184');
    renderPanel({ options: { limit: 1 } });
    expect(within(rows().at(-1)!).getByText('$1.84K')).not.toHaveAttribute('title');
  });

  it('hides share, tokens and requests when switched off', () => {
    renderPanel({ options: { showShare: false, showTokens: false, showRequests: false, showBudget: false } });
    expect(screen.queryByText('34.2%')).not.toBeInTheDocument();
    expect(screen.queryByText(/tokens/)).not.toBeInTheDocument();
    expect(screen.queryByTestId('topusers-budget')).not.toBeInTheDocument();
  });

  it('colours budget burn by the thresholds: yellow over 80 %, orange over 95 %, red when exceeded', () => {
    renderPanel({ options: { limit: 4 } });
    const meters = screen.getAllByRole('meter');
    expect(meters.map((meter) => meter.getAttribute('aria-valuenow'))).toEqual(['92', '109', '97', '54']);
    expect(budgetColors()).toEqual([rgb('yellow'), rgb('red'), rgb('orange'), rgb('green')]);
    expect(screen.getAllByTestId('topusers-budget')[0]).toHaveTextContent('92.1% of $2K budget');
  });

  it('draws no sparkline without a time field', () => {
    renderPanel();
    expect(screen.queryByTestId('topusers-sparkline')).not.toBeInTheDocument();
  });

  it('draws trends from the daily frame and merges the budgets query', () => {
    renderPanel({
      frames: [chargebackDailyFrame(), chargebackBudgetsFrame()],
      options: { calculation: 'sum', limit: 5 },
    });
    expect(subjects()).toEqual(['maria.chen', 'j.okafor', 'data-science-bot', 'support-copilot', 'l.petrov']);
    expect(screen.getAllByTestId('topusers-sparkline')).toHaveLength(5);
    expect(screen.getAllByRole('meter')).toHaveLength(5);
  });

  it('drops sparkline and budget amount when the panel is small', () => {
    renderPanel({
      frames: [chargebackDailyFrame(), chargebackBudgetsFrame()],
      options: { calculation: 'sum' },
      width: 300,
    });
    expect(screen.queryByTestId('topusers-sparkline')).not.toBeInTheDocument();
    expect(screen.getAllByTestId('topusers-budget')[0]).toHaveTextContent(/^92\.1%$/);
  });

  it('formats with a display processor of its own when the frames were not processed by Grafana', () => {
    renderPanel({ processed: false, options: { limit: 1 } });
    expect(within(rows()[0]).getByText('$1.84K')).toBeInTheDocument();
  });
});

describe('TopUsersPanel with Prometheus frames', () => {
  it('ranks topk series by their last value in dollars (panel default unit)', () => {
    renderPanel({ frames: prometheusMatrixFrames(5) });
    expect(subjects()).toEqual(['maria.chen', 'j.okafor', 'data-science-bot', 'support-copilot', 'l.petrov']);
    expect(screen.getAllByTestId('topusers-sparkline')).toHaveLength(5);
    // maria.chen's last day: 9/38 of $1,842.50.
    expect(within(rows()[0]).getByText('$436')).toBeInTheDocument();
  });

  it('ranks the table-format instant result', () => {
    renderPanel({ frames: [prometheusTableFrame()], options: { sortOrder: 'asc', limit: 2 } });
    expect(subjects()).toEqual(['ci-evals', 'k.novak']);
    expect(within(rows()[0]).getByText('$12.9')).toBeInTheDocument();
  });
});

describe('TopUsersPanel budget burn (budgets dashboard)', () => {
  /** The panel's thresholds option set to something no budget's own thresholds use: blue, purple from 30 %. */
  const panelThresholds = (): FieldConfigSource => (
    registerStandardOptions(),
    {
      ...plugin.fieldConfigDefaults,
      defaults: {
        ...plugin.fieldConfigDefaults.defaults,
        thresholds: {
          mode: ThresholdsMode.Absolute,
          steps: [
            { value: -Infinity, color: 'blue' },
            { value: 30, color: 'purple' },
          ],
        },
      },
    }
  );

  it('shows two budgets of one subject as two rows, named so they can be told apart', () => {
    renderPanel({ frames: prometheusBudgetBurnFrames(), options: budgetBurnOptions });
    expect(subjects()).toEqual(['eng — monthly', 'ann (team) — weekly', 'eng — daily', 'ann (user) — weekly']);
    expect(screen.getByText('Top 4 of 4 subjects')).toBeInTheDocument();
    expect(screen.getAllByRole('meter').map((meter) => meter.getAttribute('aria-valuenow'))).toEqual([
      '60',
      '103',
      '95',
      '40',
    ]);
  });

  it("colours each budget by its own thresholds, and by the panel's option only when it has none", () => {
    renderPanel({ frames: prometheusBudgetBurnFrames(), options: budgetBurnOptions, fieldConfig: panelThresholds() });
    // eng monthly: 60 % past its own 50 % warning; ann (team): 103 % short of its own 105 % exceeded;
    // eng daily: 95 %, critical; ann (user) has no thresholds of its own: the option's purple from 30 %.
    expect(budgetColors()).toEqual([rgb('yellow'), rgb('orange'), rgb('orange'), rgb('purple')]);
    expect(screen.getAllByTestId('topusers-budget').map((budget) => budget.dataset.state)).toEqual([
      'warning',
      'critical',
      'critical',
      undefined,
    ]);
    expect(screen.getAllByRole('meter')[1]).toHaveAttribute('aria-valuetext', '103.3% of $300 (critical)');
  });

  it("falls back to the panel's thresholds when the data has no thresholds", () => {
    renderPanel({
      frames: prometheusBudgetBurnFrames(undefined, false),
      options: budgetBurnOptions,
      fieldConfig: panelThresholds(),
    });
    expect(budgetColors()).toEqual([rgb('purple'), rgb('purple'), rgb('purple'), rgb('purple')]);
    renderPanel({ frames: prometheusBudgetBurnFrames(undefined, false), options: budgetBurnOptions });
    // The default option: 80 / 95 / 100 %.
    expect(budgetColors().slice(4)).toEqual([rgb('green'), rgb('red'), rgb('orange'), rgb('green')]);
  });

  it('sets the variable to the subject, not the row name', () => {
    const partial = jest.spyOn(locationService, 'partial').mockImplementation(() => undefined);
    renderPanel({ frames: prometheusBudgetBurnFrames(), options: { ...budgetBurnOptions, drilldown: 'variable' } });
    fireEvent.click(screen.getByRole('button', { name: 'eng — daily: show only eng (sets subject)' }));
    expect(partial).toHaveBeenCalledWith({ 'var-subject': 'eng' }, true);
    partial.mockRestore();
  });
});

describe('TopUsersPanel states', () => {
  it('says there is no data', () => {
    renderPanel({ frames: [] });
    expect(screen.getByRole('status')).toHaveTextContent('No dataThe query returned no rows');
  });

  it('says what it needs when the frame has no number field', () => {
    renderPanel({ frames: [prometheusTableFrame()].map((frame) => ({ ...frame, fields: frame.fields.slice(0, 3) })) });
    expect(screen.getByRole('status')).toHaveTextContent('Needs a number field to rank by');
    expect(screen.getByRole('status')).toHaveTextContent('topk(10, sum by (user)');
  });

  it('names the fields it could use when the chosen one is missing', () => {
    renderPanel({ options: { valueField: 'chargeUsd' } });
    expect(screen.getByRole('status')).toHaveTextContent('No value field "chargeUsd"');
    expect(screen.getByRole('status')).toHaveTextContent('costUsd, inputTokens');
  });

  it('shows the query error', () => {
    renderPanel({ frames: [], state: LoadingState.Error, error: 'chargeback API returned 502' });
    expect(screen.getByRole('status')).toHaveTextContent('The query failedchargeback API returned 502');
  });
});

describe('TopUsersPanel drilldown', () => {
  afterEach(() => jest.restoreAllMocks());

  it('sets the dashboard variable on click and on Enter or Space', () => {
    const partial = jest.spyOn(locationService, 'partial').mockImplementation(() => undefined);
    renderPanel({ options: { limit: 3 } });
    const [first, second, third] = screen.getAllByRole('button');
    fireEvent.click(first);
    second.focus();
    fireEvent.keyDown(second, { key: 'Enter' });
    fireEvent.keyDown(third, { key: ' ' });
    fireEvent.keyDown(third, { key: 'a' });
    expect(partial.mock.calls).toEqual([
      [{ 'var-user': 'maria.chen' }, true],
      [{ 'var-user': 'j.okafor' }, true],
      [{ 'var-user': 'data-science-bot' }, true],
    ]);
  });

  it('uses the configured variable name and is not clickable when drilldown is off', () => {
    const partial = jest.spyOn(locationService, 'partial').mockImplementation(() => undefined);
    const { unmount } = renderPanel({ options: { limit: 1, variableName: 'team' } });
    fireEvent.click(screen.getByRole('button'));
    expect(partial).toHaveBeenCalledWith({ 'var-team': 'maria.chen' }, true);
    unmount();
    renderPanel({ options: { drilldown: 'none' } });
    expect(screen.queryAllByRole('button')).toHaveLength(0);
  });

  it("follows the field's single data link, interpolated for the row", () => {
    const frame = chargebackFrame();
    frame.fields[1].config.links = [{ title: 'User costs', url: '/d/user-costs?var-user=${__data.fields.user}' }];
    renderPanel({ frames: [frame], options: { limit: 2 } });
    const links = screen.getAllByRole('link');
    expect(links.map((link) => link.getAttribute('href'))).toEqual([
      '/d/user-costs?var-user=maria.chen',
      '/d/user-costs?var-user=j.okafor',
    ]);
  });

  it('opens a menu when the field has several data links', async () => {
    const frame = chargebackFrame();
    frame.fields[1].config.links = [
      { title: 'User costs', url: '/d/user-costs?var-user=${__data.fields.user}' },
      { title: 'Budgets', url: '/d/budgets?var-user=${__data.fields.user}' },
    ];
    renderPanel({ frames: [frame], options: { limit: 1 } });
    const row = screen.getByRole('button', { name: 'maria.chen: open links' });
    expect(row).toHaveAttribute('aria-haspopup', 'menu');
    fireEvent.keyDown(row, { key: 'Enter' });
    expect(await screen.findByText('Budgets')).toBeInTheDocument();
    expect(screen.getByText('User costs').closest('a')).toHaveAttribute('href', '/d/user-costs?var-user=maria.chen');
  });
});
