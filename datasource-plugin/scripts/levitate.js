#!/usr/bin/env node
/**
 * Runs `@grafana/levitate is-compatible` for the data source against the oldest and the newest @grafana/data, ui
 * and runtime it supports (see README "Versions").
 *
 * Why a copy: levitate finds the installed versions with `npm list --depth 0` in the folder of the entry file,
 * and in an npm workspace that lists the root project, so every package would be "not installed locally" and
 * silently skipped. The copy is a stand-alone project whose node_modules is a link to the workspace's.
 *
 * Usage: npm run levitate -w datasource-plugin [-- 13.2.2]   (one version for all three packages instead)
 */
const { execFileSync } = require('node:child_process');
const { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const LEVITATE = '@grafana/levitate@0.17.2';
const PACKAGES = ['@grafana/data', '@grafana/ui', '@grafana/runtime'];
/** Oldest supported (read from plugin.json's grafanaDependency, `>=x.y.z`) and newest published on the registry. */
const grafanaDependency = require('../src/plugin.json').dependencies.grafanaDependency;
const oldest = /^>=(\d+\.\d+\.\d+)$/.exec(grafanaDependency)?.[1];
if (!oldest) {
  throw new Error(`plugin.json grafanaDependency ${grafanaDependency} is not of the form >=x.y.z`);
}
const TARGETS = {
  oldest: Object.fromEntries(PACKAGES.map((name) => [name, oldest])),
  newest: { '@grafana/data': '13.2.3', '@grafana/ui': '13.2.2', '@grafana/runtime': '13.2.3' },
};

/** Differences levitate reports that were reviewed and are type-only; anything else fails the check. */
const REVIEWED = [];

const pluginDir = join(__dirname, '..');
// .../node_modules/@grafana/data/package.json → .../node_modules (the workspace root's, where npm hoists it).
const nodeModules = join(require.resolve('@grafana/data/package.json'), '..', '..', '..');
const installed = require(join(pluginDir, 'package.json')).dependencies;

const project = mkdtempSync(join(tmpdir(), 'chargeback-levitate-'));
try {
  cpSync(join(pluginDir, 'src'), join(project, 'src'), {
    recursive: true,
    filter: (path) => !/\.test\.tsx?$|__fixtures__/.test(path),
  });
  const dependencies = Object.fromEntries(PACKAGES.map((name) => [name, installed[name]]));
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'levitate-check', version: '1.0.0', dependencies })
  );
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
    try {
      output = execFileSync(
        'npx',
        ['--yes', LEVITATE, 'is-compatible', '--path', 'src/module.ts', '--target', target],
        {
          cwd: project,
          env,
          encoding: 'utf8',
        }
      );
    } catch (error) {
      output = `${error.stdout ?? ''}${error.stderr ?? ''}`;
    }
    console.log(output);
    const reported = [...output.matchAll(/^\s*\d+\) \w+ `([^`]+)` used in/gm)].map((match) => match[1]);
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
