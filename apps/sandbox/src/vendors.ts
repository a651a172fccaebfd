import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { VendorSandbox } from './support';

/** `<name>.sandbox.ts` (`.js` once built): the one file of a vendor folder that exports its VendorSandbox class. */
const SANDBOX_FILE = /^[a-z0-9-]+\.sandbox\.(ts|js)$/;

function isVendorSandbox(value: unknown): value is VendorSandbox {
  const v = value as Partial<VendorSandbox> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.prefix === 'string' &&
    typeof v.register === 'function' &&
    typeof v.scopeOf === 'function' &&
    typeof v.writeFault === 'function'
  );
}

/**
 * The simulated vendors: one per folder of apps/sandbox/src holding a `<name>.sandbox.ts` that exports a
 * VendorSandbox class (no-argument constructor). Found by file name, so a new vendor's sandbox is its
 * folder alone. Folders in name order; two vendors on one prefix are refused.
 */
export function allVendorSandboxes(dir: string = __dirname): VendorSandbox[] {
  const sandboxes: VendorSandbox[] = [];
  for (const folder of readdirSync(dir).sort()) {
    const path = join(dir, folder);
    if (!statSync(path).isDirectory()) continue;
    for (const file of readdirSync(path).filter((f) => SANDBOX_FILE.test(f))) {
      // Loaded by file name (see above); `require` works for the .ts sources (jest) and the built .js alike.
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- synchronous load of a file found at run time
      const mod = require(join(path, file)) as Record<string, unknown>;
      const classes = Object.values(mod).filter(
        (v): v is new () => unknown =>
          typeof v === 'function' && typeof (v.prototype as Partial<VendorSandbox> | undefined)?.register === 'function',
      );
      const found = classes.map((C) => new C()).filter(isVendorSandbox);
      if (found.length !== 1) throw new Error(`${folder}/${file} must export exactly one VendorSandbox class (found ${found.length})`);
      sandboxes.push(found[0]);
    }
  }
  const prefixes = sandboxes.map((s) => s.prefix);
  const twice = prefixes.find((p, i) => prefixes.indexOf(p) !== i);
  if (twice) throw new Error(`two sandboxes use the prefix /${twice}`);
  return sandboxes;
}
