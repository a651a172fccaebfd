import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOCUMENT_PATH, documentText, emitDocument, SDK_DIR, TYPES_PATH } from '../../../scripts/emit-openapi';

/**
 * The SDK is generated: the committed document and types must be what the code builds now, so a
 * controller change without `npm run openapi` fails here (and the e2e tests use the SDK's types).
 */
describe('SDK drift: packages/sdk is generated from the current code', () => {
  let doc: Awaited<ReturnType<typeof emitDocument>>;
  beforeAll(async () => {
    doc = await emitDocument();
  });

  it('packages/sdk/openapi.json is the document the gateway builds (run npm run openapi if not)', () => {
    const committed = readFileSync(DOCUMENT_PATH, 'utf8');
    expect(JSON.parse(committed)).toEqual(JSON.parse(documentText(doc)));
    expect(committed).toBe(documentText(doc));
  });

  it('packages/sdk/src/schema.d.ts is what openapi-typescript generates from it (run npm run openapi if not)', () => {
    const root = join(SDK_DIR, '..', '..');
    const generated = execFileSync(
      process.execPath,
      ['-r', join(root, 'test/support/ts-register.cjs'), join(root, 'scripts/emit-openapi.ts'), '--print-types', DOCUMENT_PATH],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    expect(readFileSync(TYPES_PATH, 'utf8')).toBe(generated);
  });

  it('the SDK is versioned with the API', () => {
    const pkg = JSON.parse(readFileSync(join(SDK_DIR, 'package.json'), 'utf8')) as { name: string; version: string };
    expect(pkg).toMatchObject({ name: '@backup-gateway/sdk', version: doc.info.version });
  });
});
