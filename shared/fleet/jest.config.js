/**
 * Same settings as the repo's jest.preset.js (ts-jest transpile-only; type
 * checking is `npm run lint`), kept self-contained so this package's tests
 * run on their own.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: { module: 'commonjs', target: 'ES2022', esModuleInterop: true, isolatedModules: true } }],
  },
  testTimeout: 30000,
  maxWorkers: 1,
};
