// Jest's globalTeardown (package.json): removes the run's temporary directory (./test-tmpdir-setup.js).
const { rmSync } = require('node:fs');

module.exports = async function teardown() {
  const dir = process.env.TOKENLEDGER_TEST_TMPDIR;
  if (dir) rmSync(dir, { recursive: true, force: true });
};
