// Generates the sandbox's self-signed TLS certificate (localhost, 127.0.0.1, "sandbox") once.
// Clients trust it through NODE_EXTRA_CA_CERTS=<cert path>; TLS verification is never turned off.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { generate } from 'selfsigned';

export const DEFAULT_CERT_PATH = resolve(process.env.SANDBOX_CERT_PATH ?? '.data/sandbox-cert.pem');

export async function ensureSandboxCertificate(certPath = DEFAULT_CERT_PATH) {
  const keyPath = certPath.replace(/\.pem$/, '') + '.key';
  if (existsSync(certPath) && existsSync(keyPath)) return { certPath, keyPath };
  const notAfterDate = new Date();
  notAfterDate.setFullYear(notAfterDate.getFullYear() + 5);
  const pems = await generate([{ name: 'commonName', value: 'backup-gateway-sandbox' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', keyCertSign: true, digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 2, value: 'sandbox' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  mkdirSync(dirname(certPath), { recursive: true });
  writeFileSync(keyPath, pems.private, { mode: 0o600 });
  writeFileSync(certPath, pems.cert);
  return { certPath, keyPath };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { certPath } = await ensureSandboxCertificate(process.argv[2] ? resolve(process.argv[2]) : DEFAULT_CERT_PATH);
  process.stdout.write(`${certPath}\n`);
}
