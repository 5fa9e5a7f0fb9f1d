// Mutation testing of the exporter's core modules: `npm run mutation` (bench/README.md, "Mutation testing").
// Not part of `npm test`: a full run takes far longer than CI allows, so the thresholds below never fail a run.
// MUTATION_SAMPLE=<share> tests a fixed random sample of the mutants instead (bench/mutationSample.ts), with its own
// reports and incremental file, so a sample never stands in for a full run's results.
import { createRequire } from 'node:module';

const { sampleOptionsFrom } = createRequire(import.meta.url)('./bench/dist/bench/mutationSample.js');
const sample = sampleOptionsFrom(process.env);
const reports = sample ? 'reports/mutation-sample' : 'reports/mutation';

/** The modules whose tests should notice a small deliberate change (issue 13). */
const CORE_MODULES = ['parse', 'pricing', 'sources', 'ledger', 'budgets', 'api'];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: [...CORE_MODULES.map((dir) => `exporter/src/${dir}/**/*.ts`), '!exporter/src/**/*.test.ts'],
  testRunner: 'jest',
  jest: {
    // The exporter's own Jest config (SWC transform), read inside each sandbox, with the unit tests beside the code
    // and the ledger's contract suites, which run in process on a real DuckDB file and PostgreSQL: the other
    // process-level tests in exporter/test run the built CLI from dist/, which mutants never reach.
    projectType: 'custom',
    configFile: 'exporter/jest.config.js',
    // testTimeout: the root config's 60 s (exporter/jest.config.js has Jest's 5 s, which ledger tests on a real
    // DuckDB file exceed on a loaded machine, failing the dry run).
    config: {
      roots: ['<rootDir>/src', '<rootDir>/test'],
      testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/ledger.{duckdb,postgres}.test.ts'],
      testTimeout: 60000,
    },
    // Jest's --findRelatedTests only follows imports inside `roots`: a test that reaches the mutated file through a
    // helper in exporter/test (the follower's model test, through test/followerHarness.ts) would never run. Coverage
    // per test already picks the tests of each mutant.
    enableFindRelatedTests: false,
  },
  coverageAnalysis: 'perTest',
  // Copy only what the unit tests need into each sandbox (node_modules is linked, not copied); unit tests read
  // fixtures from exporter/test/fixtures, and loadPriceBook's test the shipped examples/prices.yaml.
  ignorePatterns: ['/*', '!/exporter', '!/examples', '!/package.json', '!/tsconfig.json', '/exporter/dist'],
  // Two cores shared with everything else on the machine; `--concurrency 2` on a quiet one.
  concurrency: 1,
  // A busy machine slows tests down: allow more before calling a mutant a timeout (timeouts count as detected).
  timeoutMS: 10000,
  // Reruns only test the mutants whose code or tests changed. Runs over a subset (`--mutate`) add to the same
  // file, and the reports show every file tested so far.
  incremental: true,
  incrementalFile: `${reports}/stryker-incremental.json`,
  reporters: ['clear-text', 'progress', 'html', 'json', ...(sample ? ['mutation-sample'] : [])],
  htmlReporter: { fileName: `${reports}/index.html` },
  jsonReporter: { fileName: `${reports}/mutation.json` },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  thresholds: { high: 90, low: 85, break: null },
  tempDirName: '.stryker-tmp',
  plugins: ['@stryker-mutator/*', './bench/dist/bench/mutationSample.js'],
  ...(sample ? { checkers: ['mutation-sample'], mutationSample: sample } : {}),
};
