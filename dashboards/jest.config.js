/**
 * dashboards tests: TypeScript through SWC (type checking is `npm run typecheck`), node environment, real binaries.
 * chargeback.test.ts runs the datasource plugin's DataSource in jsdom (its docblock), which needs what the plugin's
 * own jest config adds: @grafana's ESM-only dependencies transformed, CSS mapped, the plugin's jest setup.
 */
// Dashboards resolve "now/M" in the browser's zone: the tests (and the exporter's UTC months) use UTC.
process.env.TZ = 'UTC';

const { grafanaESModules, nodeModulesToTransform } = require('../datasource-plugin/.config/jest/utils');

const swc = ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript', tsx: true } } }];

module.exports = {
  displayName: 'dashboards',
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': swc, '^.+\\.mjs$': swc },
  transformIgnorePatterns: [nodeModulesToTransform([...grafanaESModules, '@react-hookz', '@ver0'])],
  moduleNameMapper: {
    '\\.(css|scss|sass)$': 'identity-obj-proxy',
    'react-inlinesvg': '<rootDir>/../datasource-plugin/.config/jest/mocks/react-inlinesvg.tsx',
  },
  setupFilesAfterEnv: ['<rootDir>/../datasource-plugin/jest-setup.js'],
};
