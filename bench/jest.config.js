/** Tests of bench/'s own logic (the mutation sample): TypeScript through SWC, node environment. */
module.exports = {
  displayName: 'bench',
  testEnvironment: 'node',
  roots: ['<rootDir>'],
  testMatch: ['<rootDir>/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
};
