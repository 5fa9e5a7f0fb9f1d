/** alerting tests: TypeScript through SWC (type checking is `npm run typecheck`), node environment, real binaries. */
module.exports = {
  displayName: 'alerting',
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
};
