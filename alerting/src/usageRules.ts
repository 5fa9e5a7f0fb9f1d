import type { RecordingRuleSpec, RuleGroupSpec } from './model';
import { acrossReplicasSum } from './replicas';

/**
 * Fleet usage rates. Each replica's usage counters count only the records that replica stored (seeded from the
 * ledger's totals for its `node` when it starts, so a restart is not a reset): the fleet's rate is the sum of the
 * replicas' rates. rate() before sum(): a replica that leaves the fleet takes its series with it, which a sum of
 * the raw counters would show as a counter reset of the whole fleet.
 */

/** The counters summed, with what they count (the recorded name drops `_total`, as rate() does). */
const USAGE_COUNTERS = [
  { what: 'requests', counts: 'LLM requests per second stored by the whole fleet, failed ones included' },
  { what: 'tokens', counts: 'tokens per second stored by the whole fleet, by bucket' },
  { what: 'cost_usd', counts: 'provider list cost in USD per second stored by the whole fleet' },
] as const;

function fleetRate(c: (typeof USAGE_COUNTERS)[number]): RecordingRuleSpec {
  return {
    record: `tokenledger:${c.what}:rate5m`,
    expr: acrossReplicasSum(`rate(tokenledger_${c.what}_total[5m])`),
    help: `${c.counts}, over the last 5 minutes, by the counter's own labels`,
  };
}

export const USAGE_GROUP: RuleGroupSpec = {
  name: 'tokenledger-usage',
  recording: USAGE_COUNTERS.map(fleetRate),
  alerts: [],
};
