import { getBackendSrv } from '@grafana/runtime';
import { lastValueFrom } from 'rxjs';
import { apiErrorMessage } from './messages';
import { apiUrl } from './queryParams';
import type {
  BreakdownResponse,
  BudgetsResponse,
  Dimension,
  DimensionValuesResponse,
  StatusResponse,
  TimeSeriesResponse,
} from './types';

/** The chargeback API, reached through the data source's proxy route (which adds the token). */
export class ChargebackApi {
  constructor(private readonly instanceUrl: string) {}

  status(): Promise<StatusResponse> {
    return this.get('/status');
  }

  breakdown(params: URLSearchParams): Promise<BreakdownResponse> {
    return this.get('/breakdown', params);
  }

  timeSeries(params: URLSearchParams): Promise<TimeSeriesResponse> {
    return this.get('/timeseries', params);
  }

  async dimensionValues(dimension: Dimension, params: URLSearchParams): Promise<string[]> {
    const response = await this.get<DimensionValuesResponse>(`/dimensions/${dimension}`, params);
    return response.values;
  }

  async budgets(): Promise<BudgetsResponse['budgets']> {
    return (await this.get<BudgetsResponse>('/budgets')).budgets;
  }

  private async get<T>(path: string, params?: URLSearchParams): Promise<T> {
    try {
      const response = await lastValueFrom(
        getBackendSrv().fetch<T>({ url: apiUrl(this.instanceUrl, path, params), method: 'GET', showErrorAlert: false })
      );
      return response.data;
    } catch (err) {
      throw new Error(apiErrorMessage(err));
    }
  }
}
