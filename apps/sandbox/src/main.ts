import { resolve } from 'node:path';
import { startSandbox } from './sandbox.server';
import { allVendorSandboxes } from './vendors';

async function main(): Promise<void> {
  const port = Number(process.env.SANDBOX_PORT ?? 4010);
  const certPath = resolve(process.env.SANDBOX_CERT_PATH ?? '.data/sandbox-cert.pem');
  const sandbox = await startSandbox({ port, certPath, vendors: allVendorSandboxes() });
  process.stdout.write(JSON.stringify({ level: 30, msg: 'sandbox listening', origin: sandbox.origin, certPath }) + '\n');
  const stop = () => void sandbox.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main().catch((e) => {
  process.stderr.write(`sandbox failed to start: ${(e as Error).message}\n`);
  process.exit(1);
});
