import './tracing';
import 'reflect-metadata';
import { ConfigError, loadConfig } from '@bg/platform';
import { createGateway } from './bootstrap';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createGateway(config);
  await app.listen({ port: config.PORT, host: config.HOST });
}

void main().catch((e) => {
  process.stderr.write(e instanceof ConfigError ? `${e.message}\n` : `gateway failed to start: ${(e as Error).stack}\n`);
  process.exit(1);
});
