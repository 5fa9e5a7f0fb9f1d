#!/usr/bin/env node
/**
 * Runs `@grafana/levitate is-compatible` for a plugin's src/module.ts against the oldest @grafana/data, ui and
 * runtime it supports (plugin.json's grafanaDependency, `>=x.y.z`) and the newest this registry publishes.
 * Each plugin's `npm run levitate` calls it from the plugin's folder.
 *
 * Why a copy: levitate finds the installed versions with `npm list --depth 0` in the folder of the entry file,
 * and in an npm workspace that lists the root project, so every package would be "not installed locally" and
 * silently skipped. The copy is a stand-alone project whose node_modules is a link to the workspace's.
 *
 * Differences a plugin has reviewed (type-only, harmless) are listed with their reason in its
 * `levitate-reviewed.json` ({ "Export.name": "why it is fine" }); any other difference fails the check.
 *
 * Usage: npm run levitate -w <plugin> [-- 13.2.2]   (one version for all three packages instead)
 */
const { execFileSync } = require('node:child_process');
const { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const LEVITATE = '@grafana/levitate@0.17.2';
const PACKAGES = ['@grafana/data', '@grafana/ui', '@grafana/runtime'];
const NEWEST = { '@grafana/data': '13.2.3', '@grafana/ui': '13.2.2', '@grafana/runtime': '13.2.3' };

const pluginDir = process.cwd();
const readJson = (file) => JSON.parse(readFileSync(join(pluginDir, file), 'utf8'));
const grafanaDependency = readJson('src/plugin.json').dependencies.grafanaDependency;
const oldest = /^>=(\d+\.\d+\.\d+)$/.exec(grafanaDependency)?.[1];
if (!oldest) {
  throw new Error(`${pluginDir}/src/plugin.json: grafanaDependency ${grafanaDependency} is not of the form >=x.y.z`);
}
const TARGETS = { oldest: Object.fromEntries(PACKAGES.map((name) => [name, oldest])), newest: NEWEST };
const REVIEWED = existsSync(join(pluginDir, 'levitate-reviewed.json')) ? Object.keys(readJson('levitate-reviewed.json')) : [];

// .../node_modules/@grafana/data/package.json → .../node_modules (the workspace root's, where npm hoists it).
const nodeModules = join(require.resolve('@grafana/data/package.json', { paths: [pluginDir] }), '..', '..', '..');
const installed = readJson('package.json').dependencies;

const project = mkdtempSync(join(tmpdir(), 'levitate-'));
try {
  cpSync(join(pluginDir, 'src'), join(project, 'src'), {
    recursive: true,
    filter: (path) => !/\.test\.tsx?$|__fixtures__/.test(path),
  });
  const dependencies = Object.fromEntries(PACKAGES.map((name) => [name, installed[name]]));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'levitate-check', version: '1.0.0', dependencies }));
  symlinkSync(nodeModules, join(project, 'node_modules'), 'dir');

  const only = process.argv[2];
  const targets = only ? { [only]: Object.fromEntries(PACKAGES.map((name) => [name, only])) } : TARGETS;
  // `npm run` exports npm_config_* pointing at the workspace; levitate's own `npm list` must not see them.
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  let compatible = true;
  for (const [label, versions] of Object.entries(targets)) {
    const target = PACKAGES.map((name) => `${name}@${versions[name]}`).join(',');
    console.log(`\n=== ${label}: ${target}`);
    let output;
    let exitedWith = 0;
    try {
      output = execFileSync('npx', ['--yes', LEVITATE, 'is-compatible', '--path', 'src/module.ts', '--target', target], { cwd: project, env, encoding: 'utf8' });
    } catch (error) {
      output = `${error.stdout ?? ''}${error.stderr ?? ''}`;
      exitedWith = error.status ?? 1;
    }
    console.log(output);
    const reported = [...output.matchAll(/^\s*\d+\) \w+ `([^`]+)` used in/gm)].map((match) => match[1]);
    // levitate exits non-zero for incompatibilities, which it lists. A failure without a list means it could
    // not run (no registry, a crash): nothing was checked, and that must not read as compatible.
    if (exitedWith !== 0 && reported.length === 0) {
      console.error(`${label}: levitate failed (exit ${exitedWith}) without reporting differences: nothing was checked`);
      compatible = false;
    }
    const unreviewed = reported.filter((name) => !REVIEWED.includes(name));
    if (unreviewed.length > 0) {
      console.error(`${label}: incompatible: ${unreviewed.join(', ')}`);
      compatible = false;
    } else if (reported.length > 0) {
      console.log(`${label}: only the reviewed type-only differences: ${[...new Set(reported)].join(', ')}`);
    }
    // A package levitate cannot find is skipped and then reported as compatible: count that as a failure.
    if (/Skipping package/.test(output)) {
      console.error(`levitate skipped a package for ${label}: nothing was checked`);
      compatible = false;
    }
  }
  process.exitCode = compatible ? 0 : 1;
} finally {
  rmSync(project, { recursive: true, force: true });
}
