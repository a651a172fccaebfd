// Import boundaries from STYLE.md §1: apps wire things; libs never import apps; domain imports no other
// lib; platform does not import adapters; adapters do not import platform; sandboxes import nothing of ours.
import tseslint from 'typescript-eslint';

const restrict = (files, patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });
const appsGroup = { group: ['**/apps/**', '../../apps/*', '../../../apps/*'], message: 'libs never import apps' };

export default [
  // packages/sdk/src/schema.d.ts is generated (npm run openapi).
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'scripts/**', 'jest.config.js', 'packages/sdk/src/schema.d.ts'] },
  { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
  // typescript-eslint's recommended rules on every TypeScript file; `any` only in tests, test support and bench.
  ...tseslint.configs.recommended.map((config) => ({ ...config, files: ['**/*.ts'] })),
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // `_name` marks a parameter kept for the signature (port methods a vendor does not support);
      // `{ dropped: _, ...rest }` omits keys from a copy.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Type-aware, on production code only: a promise nobody awaits or catches loses its error. The build
    // program (no specs, no test/) is smaller than projectService's tsconfig.json one, so cheaper to build.
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.test-helpers.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.build.json', tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error', '@typescript-eslint/no-misused-promises': 'error' },
  },
  // Test code reads loosely typed JSON bodies; the sandboxes' `*.test-helpers.ts` serve only their specs.
  { files: ['**/*.spec.ts', '**/*.test-helpers.ts', 'test/**', 'bench/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  restrict(
    ['libs/domain/src/**/*.ts'],
    [
      {
        group: ['@bg/adapters*', '@bg/platform*', '@nestjs/*', 'typeorm', 'bullmq', 'ioredis', 'undici', '@azure/*', 'pg'],
        message: 'domain imports no framework, database, queue, HTTP or vendor code',
      },
      appsGroup,
    ],
  ),
  {
    // Adapter specs may load the catalog rows the migrations seed; adapter code may not.
    ...restrict(
      ['libs/adapters/src/**/*.ts'],
      [
        { group: ['@bg/platform*', '@nestjs/*', 'typeorm', 'bullmq'], message: 'adapters import only domain and vendor client libraries' },
        appsGroup,
      ],
    ),
    ignores: ['libs/adapters/src/**/*.spec.ts'],
  },
  restrict(['libs/platform/src/**/*.ts'], [{ group: ['@bg/adapters*'], message: 'platform does not import adapters' }, appsGroup]),
  restrict(
    ['apps/sandbox/src/**/*.ts'],
    [
      {
        group: ['@bg/*', '../../gateway/*', '../../worker/*', '../../../libs/*'],
        message: 'a sandbox is written from the vendor docs, never from our code',
      },
    ],
  ),
  restrict(['apps/gateway/src/**/*.ts'], [{ group: ['**/worker/**', '../../worker/*'], message: 'apps do not import each other' }]),
  restrict(['apps/worker/src/**/*.ts'], [{ group: ['**/gateway/**', '../../gateway/*'], message: 'apps do not import each other' }]),
];
