import type { Dimension, Measure, MeasureName, QueryType, SortKey } from './types';

/** The plugin.json route's path: `${instanceSettings.url}/tokenledger/...` reaches the exporter. */
export const ROUTE_PATH = 'tokenledger';
export const API_PREFIX = `/${ROUTE_PATH}/api/v1`;

/** The value the API uses for the "everyone else" row of a top N. */
export const OTHER_VALUE = '__other__';
export const OTHER_LABEL = 'Everyone else';

/** The API refuses a time series with more points than this. */
export const MAX_POINTS = 11000;

export const DIMENSION_LABELS: Record<Dimension, string> = {
  user: 'User',
  apiKey: 'API key',
  team: 'Team',
  tier: 'Tier',
  model: 'Model',
};

export const QUERY_TYPE_LABELS: Record<QueryType, string> = {
  breakdown: 'Breakdown table',
  topN: 'Top N',
  timeseries: 'Time series',
  budgets: 'Budgets',
  budgetCrossings: 'Budget crossings',
};

export const MEASURE_LABELS: Record<Measure, string> = {
  cost: 'Cost',
  charge: 'Charge',
  tokens: 'Tokens',
  requests: 'Requests',
  all: 'Everything',
};

export const SORT_LABELS: Record<SortKey, string> = {
  cost: 'Cost',
  charge: 'Charge',
  tokens: 'Tokens',
  requests: 'Requests',
};

/** The row fields each measure puts in a frame. */
export const MEASURE_FIELDS: Record<Measure, MeasureName[]> = {
  cost: ['costUsd'],
  charge: ['chargeUsd'],
  tokens: ['inputTokens', 'cacheReadTokens', 'cacheWriteTokens', 'outputTokens', 'reasoningTokens'],
  requests: ['requests'],
  all: [
    'requests',
    'failedRequests',
    'inputTokens',
    'cacheReadTokens',
    'cacheWriteTokens',
    'outputTokens',
    'reasoningTokens',
    'costUsd',
    'chargeUsd',
    'marginUsd',
    'unpricedRequests',
    'feeUsd',
    'unreportedRequests',
  ],
};

export const FIELD_LABELS: Record<MeasureName, string> = {
  requests: 'Requests',
  failedRequests: 'Failed requests',
  inputTokens: 'Input tokens',
  cacheReadTokens: 'Cache read tokens',
  cacheWriteTokens: 'Cache write tokens',
  outputTokens: 'Output tokens',
  reasoningTokens: 'Reasoning tokens',
  costUsd: 'Cost',
  chargeUsd: 'Charge',
  marginUsd: 'Margin',
  unpricedRequests: 'Unpriced requests',
  feeUsd: 'Per-call fees',
  unreportedRequests: 'Requests without usage',
};
