// Three layers that can run alone: `jest --selectProjects unit|integration|workflows`.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
const common = {
  testEnvironment: 'node',
  transform,
  moduleFileExtensions: ['ts', 'js', 'json'],
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/.state/', '<rootDir>/.tools/'],
};
// Layers that talk to real servers start the local stack once per run (or reuse a running one)
// and stop it afterwards if this run started it. Unit tests need no servers.
const withStack = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};
module.exports = {
  // A global option: jest ignores it inside projects.
  testTimeout: 120000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, ...withStack, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    { ...common, ...withStack, displayName: 'workflows', testMatch: ['<rootDir>/test/workflows/**/*.test.ts'] },
  ],
};
