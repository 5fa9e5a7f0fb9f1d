import { requireBuiltCli } from './helpers';
import { FAULT_KINDS, runFaults } from './faults/harness';
import { seedFromEnv } from './faults/prng';
import { ServedLogs } from './faults/servedLogs';

/**
 * The exactly-once promise under faults, end to end against the built CLI: a steady writer, kill -9 at random
 * moments, rotation, copytruncate, truncation, partial and overlong lines, inode reuse, poison values and
 * replays (faults/harness.ts). About two minutes; `npm run soak -- --minutes N` runs the same for longer.
 * The seed is printed with a failure: TOKENLEDGER_FAULTS_SEED=<seed> repeats the same run.
 */
describe('fault injection: nothing lost, nothing counted twice', () => {
  beforeAll(() => requireBuiltCli());

  it('stores every request once and quarantines every refused line once, whatever the faults', async () => {
    const seed = seedFromEnv();
    const result = await runFaults({ seed, durationMs: 80_000, linesPerSecond: 300, faultEveryMs: 1_300 });
    const report = result.problems.length ? ServedLogs.describe(result) : 'nothing lost, nothing counted twice';
    // The run exercised what it claims: every kind of fault, and at least 10 kills.
    const missing = FAULT_KINDS.filter((k) => !result.counts[`fault_${k}`]);
    expect({ seed, missing, enoughKills: (result.counts.kill9 ?? 0) >= 10 }).toEqual({ seed, missing: [], enoughKills: true });
    expect({ seed, report }).toEqual({ seed, report: 'nothing lost, nothing counted twice' });
  }, 240_000);
});
