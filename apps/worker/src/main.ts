import './tracing';
import 'reflect-metadata';
import { ConfigError, loadConfig } from '@bg/platform';
import { createWorker } from './bootstrap';

void createWorker(loadConfig()).catch((e) => {
  process.stderr.write(e instanceof ConfigError ? `${e.message}\n` : `worker failed to start: ${(e as Error).stack}\n`);
  process.exit(1);
});
