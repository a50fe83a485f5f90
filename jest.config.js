/**
 * Three tiers. unit: specs beside the code and the repository checks, no service needed
 * (`npm run test:unit`). e2e: tests that boot the real app over HTTP against a real Redis, plus the
 * specs of the Redis adapters themselves; test/support/global-setup.ts finds or starts the Redis,
 * Chromium and nginx they need, for this project only.
 */
const common = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
};

/** Specs beside the code that talk to a real Redis: they run with the e2e tier, which provides one. */
const needsRedis = ['<rootDir>/src/persistence/persistence.contract.spec.ts', '<rootDir>/src/redis/redis-errors.spec.ts'];

module.exports = {
  // Real processes and a real Redis: e2e tests take seconds, not milliseconds.
  testTimeout: 30000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'], testPathIgnorePatterns: ['/node_modules/', ...needsRedis] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts', ...needsRedis],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
