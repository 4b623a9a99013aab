/**
 * Shared jest settings for every package: ts-jest in transpile-only mode
 * (type checking is `npm run lint`), tests under test/, real services only.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: { module: 'commonjs', target: 'ES2022', esModuleInterop: true, isolatedModules: true } }] },
  testTimeout: 30000,
  maxWorkers: 1,
  reporters: ['default', require.resolve('./shared/testing/jest-summary-reporter.js')],
};
