import { API_PREFIX, MAX_POINTS } from './constants';
import { ChargebackQuery, DIMENSIONS, Filters, RangeMs } from './types';

function rangeParams(range: RangeMs, filters: Filters = {}): URLSearchParams {
  const params = new URLSearchParams({ from: String(range.fromMs), to: String(range.toMs) });
  for (const dimension of DIMENSIONS) {
    for (const value of filters[dimension] ?? []) {
      params.append(dimension, value);
    }
  }
  return params;
}

function setGroupBy(params: URLSearchParams, query: Pick<ChargebackQuery, 'groupBy'>): void {
  if (query.groupBy?.length) {
    params.set('groupBy', query.groupBy.join(','));
  }
}

/** `/breakdown` parameters; a top N adds `limit` and, if asked, `other=true`. */
export function breakdownParams(query: ChargebackQuery, range: RangeMs): URLSearchParams {
  const params = rangeParams(range, query.filters);
  setGroupBy(params, query);
  if (query.sort) {
    params.set('sort', query.sort);
  }
  if (query.queryType === 'topN') {
    params.set('limit', String(query.limit ?? 10));
    if (query.other) {
      params.set('other', 'true');
    }
  }
  return params;
}

/**
 * The time series step in whole seconds: Grafana's interval, made coarser when the range would otherwise
 * give more points than the API allows.
 */
export function stepSeconds(range: RangeMs, intervalMs: number): number {
  const fromInterval = Math.ceil(intervalMs / 1000);
  const fromLimit = Math.ceil((range.toMs - range.fromMs) / 1000 / MAX_POINTS);
  return Math.max(1, fromInterval, fromLimit);
}

export function timeSeriesParams(
  query: Pick<ChargebackQuery, 'groupBy' | 'filters'>,
  range: RangeMs,
  intervalMs: number
): URLSearchParams {
  const params = rangeParams(range, query.filters);
  setGroupBy(params, query);
  params.set('step', String(stepSeconds(range, intervalMs)));
  return params;
}

export function dimensionParams(range: RangeMs, filters?: Filters): URLSearchParams {
  return rangeParams(range, filters);
}

/** The URL of an API endpoint through the data source's proxy route. */
export function apiUrl(instanceUrl: string, path: string, params?: URLSearchParams): string {
  const query = params?.toString();
  return `${instanceUrl}${API_PREFIX}${path}${query ? `?${query}` : ''}`;
}
