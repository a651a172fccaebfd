import { loadConfig, redactUrl } from '../config/config';
import { createOwnerDataSource } from './data-source';
import { migrate } from './migrate';

async function main(): Promise<void> {
  const config = loadConfig();
  const owner = createOwnerDataSource(config);
  await owner.initialize();
  try {
    const ran = await migrate(owner, config);
    process.stdout.write(`${JSON.stringify({ level: 30, msg: 'migrations applied', database: redactUrl(config.DATABASE_URL), ran })}\n`);
  } finally {
    await owner.destroy();
  }
}

void main().catch((e) => {
  process.stderr.write(`migration failed: ${(e as Error).message}\n`);
  process.exit(1);
});
