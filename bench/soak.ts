/**
 * Soak: the fault-injection run of the test suite (exporter/test/faults/harness.ts) for as long as asked,
 * against the built CLI, then its verdict and counts. Exit status 1 when anything was lost, counted twice or
 * quarantined wrongly.
 *   npm run soak -- [--minutes N] [--rate LINES_PER_S] [--fault-every MS] [--kill-every MS] [--seed S] [--without KIND,...]
 * (default 10 minutes, 500 lines/s, a fault every 1.5 s on average, a kill -9 at least every 10 s, every kind of fault; TOKENLEDGER_FAULTS_SEED
 * also sets the seed; --without poison,overlong_line leaves kinds out, e.g. to see what else fails while one
 * known defect stops ingestion)
 */
import { FAULT_KINDS, FaultKind, runFaults } from '../exporter/test/faults/harness';
import type { RunResult } from '../exporter/test/faults/servedLogs';
import { seedFromEnv, SEED_ENV } from '../exporter/test/faults/prng';
import { requireBuiltCli } from '../exporter/test/helpers';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v < 0)
    throw new Error(`--${name} ${process.argv[i + 1] ?? ''}: expected a non-negative number`);
  return v;
}

/** FAULT_KINDS less those named by --without. */
function kinds(): FaultKind[] {
  const i = process.argv.indexOf('--without');
  if (i < 0) return [...FAULT_KINDS];
  const without = (process.argv[i + 1] ?? '').split(',');
  const unknown = without.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
  if (unknown.length)
    throw new Error(`--without ${unknown.join(',')}: not a kind of fault (${FAULT_KINDS.join(', ')})`);
  return FAULT_KINDS.filter((k) => !without.includes(k));
}

function print(r: RunResult): void {
  const v = r.verdict.counts;
  console.log(
    `\nseed ${r.seed} (${SEED_ENV}=${r.seed} or --seed ${r.seed} repeats the run), ${r.seconds} s${r.problems.length ? `, files and ledger kept in ${r.dir}` : ''}`
  );
  console.log(
    `requests written ${v.requestsWritten} (+${v.replaysWritten} replayed lines), stored ${v.stored} of ${v.expectedStored}, quarantined ${v.quarantined} of ${v.expectedQuarantined}, lost ${v.lost}, duplicated ${v.duplicated}`
  );
  console.log(
    `faults: ${Object.entries(r.counts)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`
  );
  if (r.serveWarnings.length) console.log(`serve said:\n${r.serveWarnings.map((w) => `  ${w}`).join('\n')}`);
  if (!r.problems.length) {
    console.log('\nVERDICT: nothing lost, nothing counted twice, every refused line quarantined once');
    return;
  }
  console.log(`\nfaults in order:\n${r.faults.map((f, i) => `  #${i + 1} ${f}`).join('\n')}`);
  console.log(`\nVERDICT: FAILED\n${r.problems.join('\n')}`);
}

async function main(): Promise<void> {
  requireBuiltCli();
  const seedArg = process.argv.indexOf('--seed');
  const seed = seedArg >= 0 ? option('seed', 0) : seedFromEnv();
  const result = await runFaults({
    seed,
    durationMs: option('minutes', 10) * 60_000,
    linesPerSecond: option('rate', 500),
    faultEveryMs: option('fault-every', 1500),
    killEveryMs: option('kill-every', 10_000),
    kinds: kinds(),
    log: (line) => console.log(line),
  });
  print(result);
  process.exitCode = result.problems.length ? 1 : 0;
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(2);
});
