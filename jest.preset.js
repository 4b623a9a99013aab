/**
 * Shared jest settings for every package: ts-jest in transpile-only mode
 * (type checking is `npm run lint`), tests under test/, real services only,
 * postgres.js patched as the services load it outside jest.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: { module: 'commonjs', target: 'ES2022', esModuleInterop: true, isolatedModules: true } }],
    // The kit's patches to postgres.js, which require hooks apply outside jest.
    '[\\\\/]node_modules[\\\\/]postgres[\\\\/]cjs[\\\\/]src[\\\\/][a-z]+\\.js$': require.resolve('./shared/service-kit/jest-postgres-transform.js'),
  },
  transformIgnorePatterns: ['[\\\\/]node_modules[\\\\/](?!postgres[\\\\/])'],
  testTimeout: 30000,
  maxWorkers: 1,
  reporters: ['default', require.resolve('./shared/testing/jest-summary-reporter.js')],
};
