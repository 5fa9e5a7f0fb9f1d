import { repriceRunJson } from './reprice';

describe('repriceRunJson: a re-pricing run as the API answers it and the CLI prints it', () => {
  it('writes times as ISO text, money as decimal USD, each model and the total over the models', () => {
    const json = repriceRunJson({
      atMs: Date.UTC(2026, 11, 2, 6, 0, 0, 5),
      node: 'node-a',
      fromMs: Date.UTC(2026, 10, 1),
      toMs: Date.UTC(2026, 11, 1),
      priceVersion: 'v7',
      models: [
        {
          model: 'gpt-a',
          requests: 3,
          repriced: 2,
          oldCostPusd: 3_000_000_000_000n,
          newCostPusd: 2_500_000_000_000n,
          oldChargePusd: 4_000_000_000_000n,
          newChargePusd: 3_000_000_000_000n,
        },
        {
          model: 'claude-b',
          requests: 10,
          repriced: 1,
          oldCostPusd: 1n,
          newCostPusd: 2n ** 62n,
          oldChargePusd: 5n,
          newChargePusd: 7n,
        },
      ],
    });
    expect(json).toEqual({
      at: '2026-12-02T06:00:00.005Z',
      node: 'node-a',
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-12-01T00:00:00.000Z',
      priceVersion: 'v7',
      models: [
        {
          model: 'gpt-a',
          requests: 3,
          repriced: 2,
          oldCostUsd: '3.000000000000',
          newCostUsd: '2.500000000000',
          differenceUsd: '-0.500000000000',
          oldChargeUsd: '4.000000000000',
          newChargeUsd: '3.000000000000',
        },
        {
          model: 'claude-b',
          requests: 10,
          repriced: 1,
          oldCostUsd: '0.000000000001',
          newCostUsd: '4611686.018427387904',
          differenceUsd: '4611686.018427387903',
          oldChargeUsd: '0.000000000005',
          newChargeUsd: '0.000000000007',
        },
      ],
      total: {
        requests: 13,
        repriced: 3,
        oldCostUsd: '3.000000000001',
        newCostUsd: '4611688.518427387904',
        differenceUsd: '4611685.518427387903',
        oldChargeUsd: '4.000000000005',
        newChargeUsd: '3.000000000007',
      },
    });
  });

  it('totals a run over no model as zeros', () => {
    const json = repriceRunJson({ atMs: 0, node: 'n', fromMs: 0, toMs: 1, priceVersion: 'v', models: [] });
    expect(json.models).toEqual([]);
    expect(json.total).toEqual({
      requests: 0,
      repriced: 0,
      oldCostUsd: '0.000000000000',
      newCostUsd: '0.000000000000',
      differenceUsd: '0.000000000000',
      oldChargeUsd: '0.000000000000',
      newChargeUsd: '0.000000000000',
    });
  });
});
