import {
  hasReconciliation,
  isDimension,
  NO_USAGE,
  remainder,
  sortMeasure,
  toReconciliationRow,
  toReportRow,
  UsageTotals,
} from './queries';

/** Totals whose every field differs from every other's, so a field mixed up with another shows. */
const totals = (base: number): UsageTotals => ({
  requests: base + 1,
  failedRequests: base + 2,
  inputTokens: base + 3,
  cacheReadTokens: base + 4,
  cacheWriteTokens: base + 5,
  outputTokens: base + 6,
  reasoningTokens: base + 7,
  costPusd: BigInt(base + 8) * 1_000_000n,
  chargePusd: BigInt(base + 9) * 1_000_000n,
  unpricedRequests: base + 10,
  feePusd: BigInt(base + 11),
  unreportedRequests: base + 12,
  gatewayRequests: base + 13,
  gatewayCostPusd: BigInt(base + 14),
  gatewayOursPusd: BigInt(base + 15),
  gatewayUnpricedRequests: base + 16,
});

describe('queries: dimensions, remainders and report rows', () => {
  it('knows its dimensions and nothing else', () => {
    for (const d of ['user', 'apiKey', 'team', 'tier', 'model']) expect(isDimension(d)).toBe(true);
    for (const d of ['', 'users', 'cost', 'toString', 'constructor']) expect(isDimension(d)).toBe(false);
  });

  it('totals no request as zeros, and cannot be changed', () => {
    expect(Object.values(NO_USAGE).every((v) => v === 0 || v === 0n)).toBe(true);
    expect(Object.keys(NO_USAGE)).toHaveLength(16);
    expect(Object.isFrozen(NO_USAGE)).toBe(true);
  });

  it('gives the remainder as the total less every row shown, field by field, bigints exactly', () => {
    const total = totals(1000);
    const shown = [totals(10), totals(200)];
    const rest = remainder(total, shown);
    for (const k of Object.keys(NO_USAGE) as (keyof UsageTotals)[]) {
      const expected =
        typeof total[k] === 'bigint'
          ? (total[k] as bigint) - (shown[0]![k] as bigint) - (shown[1]![k] as bigint)
          : (total[k] as number) - (shown[0]![k] as number) - (shown[1]![k] as number);
      expect([k, rest[k]]).toEqual([k, expected]);
    }
    expect(remainder(total, [])).toEqual(total);
    // Beyond 2^53 pico-USD: exact.
    const big = { ...NO_USAGE, costPusd: 2n ** 60n + 1n };
    expect(remainder(big, [{ ...NO_USAGE, costPusd: 1n }]).costPusd).toBe(2n ** 60n);
  });

  it('sorts by the measure asked for', () => {
    const t = totals(0);
    expect(sortMeasure(t, 'cost')).toBe(8_000_000);
    expect(sortMeasure(t, 'charge')).toBe(9_000_000);
    expect(sortMeasure(t, 'tokens')).toBe(3 + 6);
    expect(sortMeasure(t, 'requests')).toBe(1);
  });

  it('writes a report row: dims first, money as decimal USD, the margin as charge less cost', () => {
    const row = toReportRow(
      { ...totals(0), costPusd: 1_500_000_000_000n, chargePusd: 1_000_000_000_000n },
      { team: 'a' }
    );
    expect(row).toEqual({
      team: 'a',
      requests: 1,
      failedRequests: 2,
      inputTokens: 3,
      cacheReadTokens: 4,
      cacheWriteTokens: 5,
      outputTokens: 6,
      reasoningTokens: 7,
      costUsd: '1.500000000000',
      chargeUsd: '1.000000000000',
      marginUsd: '-0.500000000000',
      unpricedRequests: 10,
      feeUsd: '0.000000000011',
      unreportedRequests: 12,
    });
    expect(Object.keys(toReportRow(NO_USAGE))[0]).toBe('requests');
  });

  it('says whether totals hold anything to reconcile', () => {
    expect(hasReconciliation(NO_USAGE)).toBe(false);
    expect(hasReconciliation({ ...NO_USAGE, gatewayRequests: 1 })).toBe(true);
    expect(hasReconciliation({ ...NO_USAGE, gatewayUnpricedRequests: 1 })).toBe(true);
    expect(hasReconciliation({ ...NO_USAGE, unreportedRequests: 1 })).toBe(true);
    expect(hasReconciliation({ ...NO_USAGE, requests: 5, unpricedRequests: 5, gatewayCostPusd: 1n })).toBe(false);
  });

  it('writes a reconciliation row: ours less the gateway, relative to the gateway, empty over nothing', () => {
    const t = { ...totals(0), gatewayCostPusd: 4_000_000_000_000n, gatewayOursPusd: 5_000_000_000_000n };
    expect(toReconciliationRow(t, { model: 'm', day: '2026-12-01' })).toEqual({
      model: 'm',
      day: '2026-12-01',
      requests: 13,
      costUsd: '5.000000000000',
      gatewayCostUsd: '4.000000000000',
      differenceUsd: '1.000000000000',
      differenceRatio: '0.250000',
      gatewayUnpricedRequests: 16,
      unreportedRequests: 12,
    });
    expect(toReconciliationRow({ ...t, gatewayOursPusd: 3_000_000_000_000n }).differenceRatio).toBe('-0.250000');
    expect(toReconciliationRow({ ...t, gatewayCostPusd: 0n })).toMatchObject({
      differenceRatio: '',
      differenceUsd: '5.000000000000',
    });
    expect(Object.keys(toReconciliationRow(NO_USAGE))[0]).toBe('requests');
  });
});
