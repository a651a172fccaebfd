/**
 * Jest global setup: migrates the test database once. It is the template every test stack clones its
 * own database from (see startStack). The preflight of `npm test` already checked Postgres/Redis and
 * made the sandbox certificate. Global setup gets no moduleNameMapper, so the @bg/* aliases come from
 * the same hook the worker child processes use.
 */
export default async function globalSetup(): Promise<void> {
  /* eslint-disable @typescript-eslint/no-require-imports -- the alias hook must be registered before @bg/platform loads, and imports are hoisted */
  require('./ts-register.cjs');
  require('reflect-metadata');
  const { createOwnerDataSource, loadConfig, migrate } = require('@bg/platform');
  const { templateUrl } = require('./template-db');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const url: string = await templateUrl(process.env.DATABASE_URL);
  const config = loadConfig({ ...process.env, DATABASE_URL: url, NODE_ENV: 'test', MASTER_KEY: Buffer.alloc(32, 1).toString('base64') });
  const owner = createOwnerDataSource(config, 1);
  await owner.initialize();
  try {
    await migrate(owner, config);
  } finally {
    await owner.destroy();
  }
}
