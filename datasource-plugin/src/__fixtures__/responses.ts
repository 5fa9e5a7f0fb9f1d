import type { BreakdownResponse, Budget, Measures, TimeSeriesResponse } from '../types';

export function measures(costUsd: string, requests: number): Measures {
  return {
    requests,
    failedRequests: 1,
    inputTokens: 1000 * requests,
    cacheReadTokens: 100 * requests,
    cacheWriteTokens: 0,
    outputTokens: 200 * requests,
    reasoningTokens: 10 * requests,
    costUsd,
    chargeUsd: costUsd,
    marginUsd: '0.000000000000',
    unpricedRequests: 0,
    feeUsd: '0.000000000000',
    unreportedRequests: 0,
  };
}

export const breakdown: BreakdownResponse = {
  groupBy: ['user', 'model'],
  rows: [
    {
      user: 'alice@example.com',
      model: 'gpt-4o',
      ...measures('12.345678901000', 310),
      chargeUsd: '14.814814681200',
      marginUsd: '2.469135780200',
      // Its cost includes 0.35 of web searches; 2 of its requests reported no usage.
      feeUsd: '0.350000000000',
      unreportedRequests: 2,
      share: 0.6,
    },
    { user: '__other__', model: '__other__', ...measures('8.230452600667', 90), share: 0.4 },
  ],
  total: measures('20.576131501667', 400),
};

export const timeSeries: TimeSeriesResponse = {
  stepSeconds: 3600,
  series: [
    {
      model: 'gpt-4o',
      points: [
        { time: '2025-01-06T00:00:00.000Z', ...measures('1.500000000000', 3) },
        { time: '2025-01-06T01:00:00.000Z', ...measures('0.250000000000', 1) },
      ],
    },
    { model: 'o4-mini', points: [{ time: '2025-01-06T00:00:00.000Z', ...measures('0.010000000000', 2) }] },
  ],
};

export const budget: Budget = {
  scope: 'team',
  subject: 'engineering',
  period: 'monthly',
  periodStart: '2026-11-01T00:00:00.000Z',
  periodEnd: '2026-12-01T00:00:00.000Z',
  limitUsd: '500.000000000000',
  spentUsd: '412.500000000000',
  projectedUsd: '600.000000000000',
  utilisation: 0.825,
  thresholds: { warning: 0.8, critical: 0.95, exceeded: 1 },
  state: 'warning',
};
