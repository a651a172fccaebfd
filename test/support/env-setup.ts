// Runs in every jest worker before the test file. NODE_EXTRA_CA_CERTS must be set by the npm script
// (Node reads it at process start), so a run without it fails here with the reason, not a TLS error.
import { resolve } from 'node:path';

if (!process.env.NODE_EXTRA_CA_CERTS) {
  throw new Error('Run tests with `npm test` (it sets NODE_EXTRA_CA_CERTS to the sandbox certificate).');
}
process.env.SANDBOX_CERT_PATH ??= resolve(process.env.NODE_EXTRA_CA_CERTS);
process.env.LOG_LEVEL ??= 'silent';
