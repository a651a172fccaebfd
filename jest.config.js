/** Jest: unit specs beside the code, conformance and e2e under test/. All use real Postgres/Redis. */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];
const moduleNameMapper = {
  '^@bg/(domain|adapters|platform)$': '<rootDir>/libs/$1/src',
  '^@bg/(domain|adapters|platform)/(.*)$': '<rootDir>/libs/$1/src/$2',
  '^@backup-gateway/sdk$': '<rootDir>/packages/sdk/src',
};
// A few dependencies ship ESM only; jest on Node 20 cannot require(esm), so swc compiles them to CommonJS.
const ESM_DEPS = ['content-disposition'];
const common = {
  transform: { '^.+\\.ts$': swc, [`node_modules/(${ESM_DEPS.join('|')})/.+\\.js$`]: swc },
  transformIgnorePatterns: [`/node_modules/(?!(${ESM_DEPS.join('|')})/)`],
  moduleNameMapper,
  testEnvironment: 'node',
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  setupFiles: ['<rootDir>/test/support/env-setup.ts'],
};
module.exports = {
  // Generous: a test's own waits (eventually, >= 60 s) end a stuck test; this bound only catches a hung one, and a
  // test must pass with the machine fully loaded (no test asserts on wall-clock time).
  testTimeout: 180000,
  // Safety net so CI never hangs on a stray socket; suites close their stacks in afterAll.
  forceExit: true,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts', '<rootDir>/packages/**/*.spec.ts'],
    },
    { ...common, displayName: 'conformance', testMatch: ['<rootDir>/test/conformance/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.spec.ts'] },
    // OpenAPI-driven property-based fuzzing (fast-check, fixed seed): FUZZ_SEED, FUZZ_RUNS.
    { ...common, displayName: 'fuzz', testMatch: ['<rootDir>/test/fuzz/**/*.spec.ts'] },
  ],
};
