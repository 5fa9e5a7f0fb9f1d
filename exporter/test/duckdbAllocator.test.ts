/**
 * DuckDB's allocator options (exporter/src/ledger/duckdb/allocatorOptions.ts) only count if they are in the
 * environment before libduckdb's jemalloc first allocates: every built module that loads `@duckdb/node-api` must
 * set them first, the CLI must have chosen `serve`'s by then, and jemalloc must read the variable. Run against the
 * built exporter, in fresh processes (a Jest worker may have loaded DuckDB already).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BULK_ALLOCATOR_CONF, FOLLOWER_ALLOCATOR_CONF } from '../src/ledger/duckdb/allocatorOptions';
import { CLI, requireBuiltCli, tempDir } from './helpers';

const DIST = dirname(CLI);

/** The environment of this test without the variable, so that each child starts as a user's process would. */
function envWithout(name: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env[name];
  return env;
}

/** Built modules (test files aside) that load DuckDB's package themselves. */
function modulesLoadingDuckDb(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return modulesLoadingDuckDb(path);
    if (!entry.name.endsWith('.js') || entry.name.endsWith('.test.js')) return [];
    return readFileSync(path, 'utf8').includes('require("@duckdb/node-api")') ? [path] : [];
  });
}

/** A preload that prints, once, what DUCKDB_JE_MALLOC_CONF was when DuckDB's package was first loaded. */
const PROBE = `
  const Module = require('node:module');
  const load = Module._load;
  let seen = false;
  Module._load = function (request, ...rest) {
    if (request === '@duckdb/node-api' && !seen) {
      seen = true;
      process.stderr.write('conf when DuckDB loads: ' + JSON.stringify(process.env.DUCKDB_JE_MALLOC_CONF ?? null) + '\\n');
    }
    return load.call(this, request, ...rest);
  };
  process.on('exit', () => { if (!seen) process.stderr.write('conf when DuckDB loads: never loaded\\n'); });`;

let probeFile: string;

/** Runs node with the probe preloaded and `args`, `conf` in its environment (none: unset); what the probe saw. */
function confWhenDuckDbLoads(args: string[], conf?: string): string | null {
  const env = envWithout('DUCKDB_JE_MALLOC_CONF');
  if (conf !== undefined) env.DUCKDB_JE_MALLOC_CONF = conf;
  const run = spawnSync(process.execPath, ['--require', probeFile, ...args], {
    env,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${run.status}: ${run.stderr}`);
  const seen = /^conf when DuckDB loads: (.*)$/m.exec(run.stderr)?.[1];
  if (seen === undefined || seen === 'never loaded') throw new Error(`node ${args.join(' ')} never loaded DuckDB`);
  return JSON.parse(seen) as string | null;
}

beforeAll(() => {
  requireBuiltCli();
  probeFile = join(tempDir('tl-alloc-probe-'), 'probe.js');
  writeFileSync(probeFile, PROBE);
});

test('every module that loads DuckDB sets its allocator options first', () => {
  const modules = modulesLoadingDuckDb(DIST);
  expect(modules.map((m) => m.slice(DIST.length + 1)).sort()).toEqual([
    'ledger/duckdb/duckDbLedger.js',
    'ledger/duckdb/reprice.js',
  ]);
  for (const module of modules)
    expect({ module, conf: confWhenDuckDbLoads(['-e', `require(${JSON.stringify(module)})`]) }).toEqual({
      module,
      conf: BULK_ALLOCATOR_CONF,
    });
});

test("the CLI gives serve the follower's options, and every other command the bulk load's", () => {
  expect(FOLLOWER_ALLOCATOR_CONF).not.toBe(BULK_ALLOCATOR_CONF);
  const commands = ['serve', 'ingest', 'report', 'reprice', 'migrate-ledger'];
  const seen = Object.fromEntries(commands.map((c) => [c, confWhenDuckDbLoads([CLI, c, '--help'])]));
  expect(seen).toEqual({
    serve: FOLLOWER_ALLOCATOR_CONF,
    ingest: BULK_ALLOCATOR_CONF,
    report: BULK_ALLOCATOR_CONF,
    reprice: BULK_ALLOCATOR_CONF,
    'migrate-ledger': BULK_ALLOCATOR_CONF,
  });
  // A test or a bench that loaded the ledger passes the bulk load's options on to the serve it starts: not kept.
  expect(confWhenDuckDbLoads([CLI, 'serve', '--help'], BULK_ALLOCATOR_CONF)).toBe(FOLLOWER_ALLOCATOR_CONF);
  // A user's own are.
  expect(confWhenDuckDbLoads([CLI, 'serve', '--help'], 'dirty_decay_ms:750')).toBe('dirty_decay_ms:750');
  expect(confWhenDuckDbLoads([CLI, 'ingest', '--help'], 'dirty_decay_ms:750')).toBe('dirty_decay_ms:750');
});

test("DuckDB's jemalloc reads the variable, and a user's own value is kept", () => {
  // stats_print makes jemalloc print its options at exit; the user's value replaces ours, so DuckDB's own decay shows.
  const script = `
    const { DuckDbLedger } = require(${JSON.stringify(join(DIST, 'ledger/duckdb/duckDbLedger.js'))});
    const { DuckDBInstance } = require('@duckdb/node-api');
    DuckDBInstance.create(':memory:').then((db) => db.connect()).then((c) => c.run('SELECT 1'))
      .then(() => console.log(typeof DuckDbLedger, process.env.DUCKDB_JE_MALLOC_CONF));`;
  const run = spawnSync(process.execPath, ['-e', script], {
    env: { ...process.env, DUCKDB_JE_MALLOC_CONF: 'stats_print:true,dirty_decay_ms:750' },
    encoding: 'utf8',
  });
  expect(run.status).toBe(0);
  expect(run.stdout.trim()).toBe('function stats_print:true,dirty_decay_ms:750');
  expect(run.stderr).toContain('opt.dirty_decay_ms: 750');
  expect(run.stderr).toContain('opt.muzzy_decay_ms: 1000');
});
