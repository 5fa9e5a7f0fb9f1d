/**
 * DuckDB's allocator options (exporter/src/ledger/duckdb/allocatorConf.ts) only count if they are in the
 * environment before libduckdb's jemalloc first allocates: every built module that loads `@duckdb/node-api` must
 * set them first, and jemalloc must read the variable. Run against the built exporter, in fresh processes (a Jest
 * worker may have loaded DuckDB already).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DUCKDB_ALLOCATOR_CONF } from '../src/ledger/duckdb/allocatorConf';
import { CLI, requireBuiltCli } from './helpers';

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

/** Requires `module` in a fresh node and says what DUCKDB_JE_MALLOC_CONF was when DuckDB's package was first loaded. */
function confWhenDuckDbLoads(module: string): string | null {
  const probe = `
    const Module = require('node:module');
    const load = Module._load;
    let seen = false;
    Module._load = function (request, ...rest) {
      if (request === '@duckdb/node-api' && !seen) {
        seen = true;
        process.stdout.write(JSON.stringify(process.env.DUCKDB_JE_MALLOC_CONF ?? null));
      }
      return load.call(this, request, ...rest);
    };
    require(${JSON.stringify(module)});
    if (!seen) throw new Error('${module} never loaded @duckdb/node-api');`;
  const run = spawnSync(process.execPath, ['-e', probe], {
    env: envWithout('DUCKDB_JE_MALLOC_CONF'),
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`node exited with ${run.status}: ${run.stderr}`);
  return JSON.parse(run.stdout) as string | null;
}

beforeAll(requireBuiltCli);

test('every module that loads DuckDB sets its allocator options first', () => {
  const modules = modulesLoadingDuckDb(DIST);
  expect(modules.map((m) => m.slice(DIST.length + 1)).sort()).toEqual([
    'ledger/duckdb/duckDbLedger.js',
    'ledger/duckdb/reprice.js',
  ]);
  for (const module of modules)
    expect({ module, conf: confWhenDuckDbLoads(module) }).toEqual({ module, conf: DUCKDB_ALLOCATOR_CONF });
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
