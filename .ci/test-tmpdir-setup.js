// Jest's globalSetup (package.json): a test run's temporary files all go under one directory, which
// ./test-tmpdir-teardown.js removes when the run ends. Tests, and the servers and CLIs they start, take their
// temporary directories from os.tmpdir(), which reads TMPDIR: set here, before the workers start, it reaches all of
// them. Without it every run left its directories in /tmp (19 GB of them on a development machine after a few
// hundred runs).
const { chmodSync, mkdtempSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

module.exports = async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'tokenledger-tests-'));
  // As /tmp is: processes of other users (the test PostgreSQL server runs as `postgres`) reach their own dirs in it.
  chmodSync(dir, 0o1777);
  process.env.TOKENLEDGER_TEST_TMPDIR = dir;
  process.env.TMPDIR = dir;
};
