// Import boundaries from STYLE.md §1: apps wire things; libs never import apps; domain imports no other
// lib; platform does not import adapters; adapters do not import platform; sandboxes import nothing of ours.
import tseslint from 'typescript-eslint';

const restrict = (files, patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });
const appsGroup = { group: ['**/apps/**', '../../apps/*', '../../../apps/*'], message: 'libs never import apps' };

export default [
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'scripts/**', 'jest.config.js'] },
  { files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } },
  restrict(['libs/domain/src/**/*.ts'], [
    { group: ['@bg/adapters*', '@bg/platform*', '@nestjs/*', 'typeorm', 'bullmq', 'ioredis', 'undici', '@azure/*', 'pg'], message: 'domain imports no framework, database, queue, HTTP or vendor code' },
    appsGroup,
  ]),
  {
    // Adapter specs may load the catalog rows the migrations seed; adapter code may not.
    ...restrict(['libs/adapters/src/**/*.ts'], [
      { group: ['@bg/platform*', '@nestjs/*', 'typeorm', 'bullmq'], message: 'adapters import only domain and vendor client libraries' },
      appsGroup,
    ]),
    ignores: ['libs/adapters/src/**/*.spec.ts'],
  },
  restrict(['libs/platform/src/**/*.ts'], [
    { group: ['@bg/adapters*'], message: 'platform does not import adapters' },
    appsGroup,
  ]),
  restrict(['apps/sandbox/src/**/*.ts'], [
    { group: ['@bg/*', '../../gateway/*', '../../worker/*', '../../../libs/*'], message: 'a sandbox is written from the vendor docs, never from our code' },
  ]),
  restrict(['apps/gateway/src/**/*.ts'], [{ group: ['**/worker/**', '../../worker/*'], message: 'apps do not import each other' }]),
  restrict(['apps/worker/src/**/*.ts'], [{ group: ['**/gateway/**', '../../gateway/*'], message: 'apps do not import each other' }]),
];
