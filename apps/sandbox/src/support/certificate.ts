import { existsSync, readFileSync } from 'node:fs';

export interface SandboxCertificate {
  certPem: string;
  keyPem: string;
  certPath: string;
}

/**
 * Reads the sandbox's TLS certificate made by scripts/sandbox-cert.mjs (npm start, npm test and the
 * Docker entrypoint run it first). Clients trust it through NODE_EXTRA_CA_CERTS=<certPath>.
 */
export function loadSandboxCertificate(certPath: string): SandboxCertificate {
  const keyPath = certPath.replace(/\.pem$/, '') + '.key';
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    throw new Error(`Sandbox certificate ${certPath} is missing; run: node scripts/sandbox-cert.mjs ${certPath}`);
  }
  return { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8'), certPath };
}
