import { loadConfig, redactUrl } from '../config/config';
import { createOwnerDataSource } from '../database/data-source';
import { CredentialCipher } from './credential-cipher';
import { rotateMasterKey } from './master-key-rotation';

/**
 * `npm run rotate-master-key [-- --check]`: re-wraps every sealed record's data key under MASTER_KEY (the keys
 * being retired must be in MASTER_KEYS_RETIRED), prints one JSON line per sealed column and a summary, and
 * exits 1 while any record is left under another key (2 on a configuration or database error).
 */
async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  const config = loadConfig();
  if (!config.masterKey) throw new Error('MASTER_KEY is not set');
  const cipher = new CredentialCipher(config.MASTER_KEY_ID, config.masterKey, config.retiredKeys);
  const owner = createOwnerDataSource(config, 2);
  await owner.initialize();
  try {
    const counts = await rotateMasterKey(owner, cipher, { check });
    for (const c of counts) process.stdout.write(`${JSON.stringify({ level: 30, msg: check ? 'sealed records' : 'rotated', ...c })}\n`);
    const remaining = counts.reduce((n, c) => n + c.remaining, 0);
    process.stdout.write(
      `${JSON.stringify({
        level: remaining ? 50 : 30,
        msg: remaining ? 'records left under a key other than MASTER_KEY' : 'every record is under MASTER_KEY',
        database: redactUrl(config.DATABASE_URL),
        keyId: cipher.keyId,
        mode: check ? 'check' : 'rotate',
        rewrapped: counts.reduce((n, c) => n + c.rewrapped, 0),
        failed: counts.reduce((n, c) => n + c.failed, 0),
        remaining,
      })}\n`,
    );
    return remaining ? 1 : 0;
  } finally {
    await owner.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`rotate-master-key failed: ${(e as Error).message}\n`);
    process.exit(2);
  },
);
