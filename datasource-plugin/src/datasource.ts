import {
  createDataFrame,
  DataFrame,
  DataQueryError,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceApi,
  DataSourceInstanceSettings,
  ScopedVars,
  TestDataSourceResponse,
} from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import { ChargebackApi } from './api';
import { budgetWindow, thresholdCrossings } from './budgetCrossings';
import { breakdownFrame, budgetsFrame, crossingsFrame, timeSeriesFrames } from './frames';
import { interpolateQuery, matchesNothing } from './interpolate';
import { statusMessage } from './messages';
import { breakdownParams, dimensionParams, timeSeriesParams } from './queryParams';
import { ChargebackOptions, ChargebackQuery, DEFAULT_QUERY, Dimension, Filters, RangeMs } from './types';
import { ChargebackVariableSupport } from './variables';

export class DataSource extends DataSourceApi<ChargebackQuery, ChargebackOptions> {
  private readonly api: ChargebackApi;
  private readonly exporterUrl?: string;

  constructor(instanceSettings: DataSourceInstanceSettings<ChargebackOptions>) {
    super(instanceSettings);
    this.api = new ChargebackApi(instanceSettings.url ?? '');
    this.exporterUrl = instanceSettings.jsonData.url;
    this.variables = new ChargebackVariableSupport(this);
    // Annotations reuse the query editor and query(): pick the "Budget crossings" query type.
    this.annotations = {};
  }

  getDefaultQuery(): Partial<ChargebackQuery> {
    return DEFAULT_QUERY;
  }

  filterQuery(query: ChargebackQuery): boolean {
    return !query.hide;
  }

  interpolateVariablesInQueries(queries: ChargebackQuery[], scopedVars: ScopedVars): ChargebackQuery[] {
    return queries.map((q) => interpolateQuery(q, getTemplateSrv(), scopedVars));
  }

  async query(request: DataQueryRequest<ChargebackQuery>): Promise<DataQueryResponse> {
    const range = { fromMs: request.range.from.valueOf(), toMs: request.range.to.valueOf() };
    const data: DataFrame[] = [];
    const errors: DataQueryError[] = [];
    const targets = request.targets
      .filter((t) => this.filterQuery(t))
      .map((t) => interpolateQuery({ ...DEFAULT_QUERY, ...t }, getTemplateSrv(), request.scopedVars));
    await Promise.all(
      targets.map(async (target) => {
        try {
          data.push(...(await this.run(target, range, request.intervalMs)));
        } catch (err) {
          errors.push({ refId: target.refId, message: err instanceof Error ? err.message : String(err) });
        }
      })
    );
    // Frames in target order, whatever order the requests finished in.
    const order = targets.map((t) => t.refId);
    data.sort((a, b) => order.indexOf(a.refId ?? '') - order.indexOf(b.refId ?? ''));
    return errors.length > 0 ? { data, errors } : { data };
  }

  private async run(query: ChargebackQuery, range: RangeMs, intervalMs: number): Promise<DataFrame[]> {
    const measure = query.measure ?? 'cost';
    const filtered = query.queryType !== 'budgets' && query.queryType !== 'budgetCrossings';
    if (filtered && matchesNothing(query.filters)) {
      return [createDataFrame({ refId: query.refId, fields: [] })];
    }
    switch (query.queryType) {
      case 'timeseries':
        return timeSeriesFrames(
          query.refId,
          await this.api.timeSeries(timeSeriesParams(query, range, intervalMs)),
          query.groupBy ?? [],
          measure
        );
      case 'budgets':
        return [budgetsFrame(query.refId, await this.api.budgets())];
      case 'budgetCrossings':
        return [crossingsFrame(query.refId, await this.budgetCrossings(range, intervalMs))];
      case 'topN':
        return [breakdownFrame(query.refId, await this.api.breakdown(breakdownParams(query, range)), measure, false)];
      default:
        return [breakdownFrame(query.refId, await this.api.breakdown(breakdownParams(query, range)), measure, true)];
    }
  }

  /** For each budget: its subject's cost series from the period start, accumulated, checked against its thresholds. */
  private async budgetCrossings(range: RangeMs, intervalMs: number) {
    const budgets = await this.api.budgets();
    const perBudget = await Promise.all(
      budgets.map(async (budget) => {
        const window = budgetWindow(budget, range);
        if (!window) {
          return [];
        }
        const filters: Filters = budget.scope === 'global' ? {} : { [budget.scope]: [budget.subject] };
        const response = await this.api.timeSeries(timeSeriesParams({ filters }, window, intervalMs));
        return thresholdCrossings(budget, response.series[0]?.points ?? [], range);
      })
    );
    return perBudget.flat().sort((a, b) => a.timeMs - b.timeMs);
  }

  /** Values of a dimension seen in the range, for filter suggestions and template variables. */
  dimensionValues(dimension: Dimension, range: RangeMs, filters?: Filters): Promise<string[]> {
    if (matchesNothing(filters)) {
      return Promise.resolve([]);
    }
    return this.api.dimensionValues(dimension, dimensionParams(range, filters));
  }

  async testDatasource(): Promise<TestDataSourceResponse> {
    if (!this.exporterUrl) {
      return { status: 'error', message: 'Set the exporter URL, e.g. http://tokenledger:9464' };
    }
    try {
      return { status: 'success', message: statusMessage(await this.api.status()) };
    } catch (err) {
      return { status: 'error', message: err instanceof Error ? err.message : String(err) };
    }
  }
}
