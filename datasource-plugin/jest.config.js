// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');
const { grafanaESModules, nodeModulesToTransform } = require('./.config/jest/utils');

const swc = base.transform['^.+\\.(t|j)sx?$'];

/**
 * The scaffold's config, extended (never edited) for this repository:
 * - displayName, so the root can run it as one of several projects (`npx jest --selectProjects datasource-plugin`);
 * - tests/ for the integration and dist tests (node environment, `@jest-environment node` docblocks);
 *   Playwright's specs (tests/e2e/*.spec.ts) are not jest tests;
 * - @grafana 13.2 + React 19: d3-interpolate ships .mjs, and @react-hookz and @ver0 are ESM only.
 */
module.exports = {
  ...base,
  displayName: 'datasource-plugin',
  rootDir: __dirname,
  testMatch: [...base.testMatch, '<rootDir>/tests/**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': swc, '^.+\\.mjs$': swc },
  transformIgnorePatterns: [nodeModulesToTransform([...grafanaESModules, '@react-hookz', '@ver0'])],
};
