/**
 * Mutation testing of a random sample: `MUTATION_SAMPLE=0.1 npm run mutation -- --mutate ...` (bench/README.md,
 * "Mutation testing"). Some modules cost one test file on a real DuckDB or PostgreSQL per mutant (10-40 s each
 * here), so measuring all of their mutants takes many hours; a fixed random sample of them estimates their score
 * with a known margin in a fraction of the time.
 *
 * Two Stryker plugins, loaded by stryker.config.mjs when MUTATION_SAMPLE is set:
 * - the checker `mutation-sample` passes the mutants in the sample on to the tests and answers "compile error" for
 *   the others, which Stryker then leaves out of every score without running a test;
 * - the reporter `mutation-sample` prints the sample's score per file and over all, each with its 95 % interval.
 *
 * Whether a mutant is in the sample depends only on the mutant (its file inside the repository, mutator,
 * replacement and place) and the seed: the same mutants are drawn in every run and on every machine, so a rerun
 * after new tests measures the same sample again.
 *
 * No runtime import of Stryker: its packages are ES modules, this file is compiled to CommonJS with the rest of
 * bench/, and a plugin is no more than the `strykerPlugins` export below.
 */
import { createHash } from 'node:crypto';

/** The `reason` of the mutants left out, as the reports show it. */
export const NOT_IN_SAMPLE = 'not in the mutation sample (MUTATION_SAMPLE)';

/** What the plugins read of a mutant: the fields Stryker's Mutant and its report's MutantResult share. */
export interface SampledMutant {
  id: string;
  mutatorName: string;
  replacement?: string;
  location: { start: { line: number; column: number }; end: { line: number; column: number } };
  status?: string;
  statusReason?: string;
}

export interface SampleOptions {
  /** The share of mutants drawn, 0 < fraction <= 1. */
  fraction: number;
  /** Another seed draws another sample of the same size. */
  seed: string;
}

/** Reads MUTATION_SAMPLE (the fraction) and MUTATION_SAMPLE_SEED, or says what is wrong with them. */
export function sampleOptionsFrom(env: NodeJS.ProcessEnv): SampleOptions | undefined {
  const text = env.MUTATION_SAMPLE;
  if (text === undefined || text === '') return undefined;
  const fraction = Number(text);
  if (!(fraction > 0 && fraction <= 1))
    throw new Error(`MUTATION_SAMPLE=${text}: expected the share of mutants to test, a number above 0 and at most 1`);
  return { fraction, seed: env.MUTATION_SAMPLE_SEED || 'tokenledger' };
}

/**
 * The file's path from the repository's top (`exporter/src/...`): Stryker names mutants by absolute path, which
 * differs between checkouts, and the draw must not.
 */
export function repositoryPath(fileName: string): string {
  const normalized = fileName.replace(/\\/g, '/');
  const at = normalized.lastIndexOf('exporter/src/');
  return at >= 0 ? normalized.slice(at) : normalized;
}

/** Whether the mutant is drawn: a SHA-256 of what identifies it and the seed, read as a number in [0, 1). */
export function inSample(fileName: string, mutant: SampledMutant, options: SampleOptions): boolean {
  const { start, end } = mutant.location;
  const identity = [
    options.seed,
    repositoryPath(fileName),
    mutant.mutatorName,
    mutant.replacement ?? '',
    `${start.line}:${start.column}-${end.line}:${end.column}`,
  ].join('\0');
  const draw = createHash('sha256').update(identity).digest().readBigUInt64BE(0);
  return Number(draw >> 11n) / 2 ** 53 < options.fraction;
}

/** Wilson's score interval at 95 % for `detected` of `n`: honest near 0 % and 100 % and for small samples. */
export function wilson95(detected: number, n: number): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 1 };
  const z = 1.959964;
  const p = detected / n;
  const z2n = (z * z) / n;
  const centre = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2n / (4 * n))) / (1 + z2n);
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** A file's (or all files') count: every mutant the checker saw, and what became of those drawn. */
export interface SampleTally {
  /** Mutants offered to the draw: all but those Stryker ignored (static ones under --ignoreStatic). */
  population: number;
  drawn: number;
  detected: number;
  survived: number;
  noCoverage: number;
  /** Drawn mutants that broke a test file or the build: left out of the score, as Stryker does. */
  invalid: number;
}

const DETECTED = new Set(['Killed', 'Timeout']);

/** Tallies the mutants of one file from the final report. */
export function tallyFile(mutants: readonly SampledMutant[]): SampleTally {
  const t: SampleTally = { population: 0, drawn: 0, detected: 0, survived: 0, noCoverage: 0, invalid: 0 };
  for (const m of mutants) {
    if (m.status === 'Ignored') continue;
    t.population++;
    if (m.status === 'CompileError' && m.statusReason === NOT_IN_SAMPLE) continue;
    t.drawn++;
    if (DETECTED.has(m.status ?? '')) t.detected++;
    else if (m.status === 'Survived') t.survived++;
    else if (m.status === 'NoCoverage') t.noCoverage++;
    else t.invalid++;
  }
  return t;
}

const percent = (x: number): string => `${(100 * x).toFixed(1)} %`;

/** One line of the summary: `<name>: <detected> of <valid> drawn (<population> in all): <score> (95 %: a-b)`. */
export function tallyLine(name: string, t: SampleTally): string {
  const valid = t.drawn - t.invalid;
  const head = `${name}: ${t.detected} of ${valid} drawn mutants detected (${t.drawn} drawn of ${t.population}`;
  const tail = `; ${t.survived} survived, ${t.noCoverage} not covered, ${t.invalid} invalid)`;
  if (valid === 0) return `${head}${tail}: no score`;
  const { low, high } = wilson95(t.detected, valid);
  return `${head}${tail}: ${percent(t.detected / valid)} (95 %: ${percent(low)}-${percent(high)})`;
}

/** The summary of a report: a line per file, then all files together. */
export function sampleSummary(files: Record<string, { mutants: readonly SampledMutant[] }>): string[] {
  const lines: string[] = [];
  for (const name of Object.keys(files).sort()) {
    const t = tallyFile(files[name]!.mutants);
    if (t.population > 0) lines.push(tallyLine(repositoryPath(name), t));
  }
  lines.push(tallyLine('all files', tallyFile(Object.values(files).flatMap((f) => f.mutants))));
  return lines;
}

/** Stryker's CheckResult (CheckStatus is `'passed' | 'compileError'`). */
type CheckResult = { status: 'passed' } | { status: 'compileError'; reason: string };

/** The checker: lets the drawn mutants through to the tests. */
class SampleChecker {
  static readonly inject = ['options'] as const;
  private readonly options: SampleOptions;

  constructor(strykerOptions: { mutationSample?: SampleOptions }) {
    if (!strykerOptions.mutationSample)
      throw new Error('the mutation-sample checker needs the option mutationSample (set MUTATION_SAMPLE)');
    this.options = strykerOptions.mutationSample;
  }

  async init(): Promise<void> {}

  async check(mutants: (SampledMutant & { fileName: string })[]): Promise<Record<string, CheckResult>> {
    const results: Record<string, CheckResult> = {};
    for (const m of mutants)
      results[m.id] = inSample(m.fileName, m, this.options)
        ? { status: 'passed' }
        : { status: 'compileError', reason: NOT_IN_SAMPLE };
    return results;
  }
}

/** The reporter: the sample's score once the run is over. */
class SampleReporter {
  static readonly inject = ['logger'] as const;

  constructor(private readonly log: { info(message: string): void }) {}

  onMutationTestReportReady(report: { files: Record<string, { mutants: SampledMutant[] }> }): void {
    this.log.info(`Mutation sample:\n${sampleSummary(report.files).join('\n')}`);
  }
}

/** The plugins, as `declareClassPlugin` of @stryker-mutator/api/plugin would declare them. */
export const strykerPlugins = [
  { kind: 'Checker', name: 'mutation-sample', injectableClass: SampleChecker },
  { kind: 'Reporter', name: 'mutation-sample', injectableClass: SampleReporter },
];

/** Lets `mutationSample` through Stryker's validation of its options. */
export const strykerValidationSchema = {
  properties: {
    mutationSample: {
      description: 'The share of mutants to test and the seed of the draw (bench/mutationSample.ts).',
      type: 'object',
      properties: { fraction: { type: 'number' }, seed: { type: 'string' } },
    },
  },
};
