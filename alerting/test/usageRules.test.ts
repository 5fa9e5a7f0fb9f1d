import { USAGE_GROUP } from '../src/usageRules';
import { InputSeries, promtoolTest, RuleTestCase, series } from './promtool';

/**
 * `promtool test rules` for the fleet usage rates: three replicas sharing one ledger, each counting only what it
 * stored, so the fleet's rate is the sum of theirs; a replica's restart (its counter seeded back to what it had
 * stored) or departure adds nothing that was not stored.
 */

const FLEET = { job: 'tokenledger', namespace: 'llm' };
const replica = (i: number) => ({
  ...FLEET,
  instance: `10.0.0.${i + 1}:9464`,
  pod: `tokenledger-${i}`,
  node: `gw-node-${i}`,
});
/** The counters' own labels (tokens also carry `bucket`; one value of it is enough here). */
const USAGE = { user: 'alice@example.com', model: 'gpt-4o', team: 'engineering' };
const COUNTERS = [
  { counter: 'tokenledger_requests_total', record: 'tokenledger:requests:rate5m', labels: USAGE },
  { counter: 'tokenledger_tokens_total', record: 'tokenledger:tokens:rate5m', labels: { ...USAGE, bucket: 'output' } },
  { counter: 'tokenledger_cost_usd_total', record: 'tokenledger:cost_usd:rate5m', labels: USAGE },
];

/** Each counter with the same per-replica values (promtool's expanding notation, one sample a minute). */
function countersOf(values: readonly string[]): InputSeries[] {
  return COUNTERS.flatMap((c) =>
    values.map((v, i) => ({ series: series(c.counter, { ...replica(i), ...c.labels }), values: v }))
  );
}

/** At `at`, every fleet rate is `perSecond`, with the fleet's labels and the counter's own, and nothing else. */
function fleetRates(at: string, perSecond: number): NonNullable<RuleTestCase['promql_expr_test']> {
  return COUNTERS.map((c) => ({
    expr: c.record,
    eval_time: at,
    exp_samples: [{ labels: series(c.record, { ...FLEET, ...c.labels }), value: perSecond }],
  }));
}

function expectPasses(input_series: InputSeries[], checks: NonNullable<RuleTestCase['promql_expr_test']>): void {
  const r = promtoolTest({ interval: '1m', input_series, alert_rule_test: [], promql_expr_test: checks });
  if (r.status !== 0) throw new Error(`promtool test rules failed:\n${r.output}`);
  expect(r.output).toContain('SUCCESS');
}

describe('fleet usage rates with three replicas sharing one ledger', () => {
  it('covers every usage rate the rules record', () => {
    expect(USAGE_GROUP.recording.map((r) => r.record).sort()).toEqual(COUNTERS.map((c) => c.record).sort());
  });

  it("the fleet's rate is the sum of the replicas' rates (1 + 2.5 + 3 per second), one series per label set", () => {
    expectPasses(countersOf(['0+60x20', '0+150x20', '0+180x20']), [
      ...fleetRates('10m', 6.5),
      ...fleetRates('20m', 6.5),
    ]);
  });

  it('a replica restarting from its seeded counter adds nothing it did not store: no spurious increase', () => {
    // Replica 1 is down at 9m and 10m and stores nothing meanwhile; back at 11m, its counter resumes from the
    // 1200 it had stored (seeded from the ledger), not from 0 and not from anything the others stored.
    const restarting = '0+150x8 _x2 1200+150x10';
    expectPasses(countersOf(['0+60x20', restarting, '0+180x20']), [
      // 8m-13m: replica 1 stored 300 in 5 minutes (1/s), the others 1/s and 3/s as always
      ...fleetRates('13m', 5),
      ...fleetRates('20m', 6.5),
    ]);
  });

  it('a replica leaving the fleet takes its rate with it, and is no reset of the others', () => {
    expectPasses(countersOf(['0+60x20', '0+150x20', '0+180x8']), [...fleetRates('5m', 6.5), ...fleetRates('20m', 3.5)]);
  });

  it('can fail: a fleet rate that is not the sum is reported', () => {
    const r = promtoolTest({
      interval: '1m',
      input_series: countersOf(['0+60x20', '0+150x20', '0+180x20']),
      alert_rule_test: [],
      promql_expr_test: fleetRates('10m', 3),
    });
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('tokenledger:requests:rate5m');
  });
});
