import { readFileSync } from 'node:fs';
import { seedText as seedDocument, specPath } from '../support/vendor-contracts';
import { ERROR_CODE_LIST, StaticErrorCatalog } from '@bg/domain';
import { VEEAM_ERROR_CATALOG } from '@bg/platform/migrations/data/veeam.catalog';
import { parseVeeamError } from '../../libs/adapters/src/veeam/veeam.errors';

const SPEC = specPath('veeam', 'vb365-rest-v8.trimmed.openapi.json');

function seedText(): string {
  return seedDocument('002');
}

/** Every errorCode value seed 002 names in its samples (`"errorCode": "ProxyOffline"`). */
function seedCodes(text: string): string[] {
  return [...new Set([...text.matchAll(/"errorCode":\s*"([A-Za-z]+)"/g)].map((m) => m[1]))].sort();
}

/** The RESTExceptionInfo.errorCode enum of the vendor's own OpenAPI. */
function specCodes(): string[] {
  const doc = JSON.parse(readFileSync(SPEC, 'utf8'));
  return [...doc.components.schemas.RESTExceptionInfo.properties.errorCode.enum].sort();
}

describe('veeam error catalog', () => {
  const catalog = new StaticErrorCatalog(VEEAM_ERROR_CATALOG);
  const rowFor = (code: string) => VEEAM_ERROR_CATALOG.find((r) => r.vendorCode === code);

  it('finds the codes of seed 002 and of the spec (guards against reading nothing)', () => {
    expect(seedCodes(seedText())).toEqual(['ProxyOffline']);
    expect(specCodes()).toHaveLength(10);
    expect(specCodes()).toEqual(expect.arrayContaining(seedCodes(seedText())));
  });

  it.each(seedCodes(seedText()))('%s (named in seed 002) has a catalog row', (code) => {
    expect(rowFor(code)).toBeDefined();
  });

  it.each(specCodes())('%s (RESTExceptionInfo.errorCode enum) has a catalog row, found at any status', (code) => {
    expect(rowFor(code)).toBeDefined();
    for (const status of [400, 404, 409, 500, 503]) expect(catalog.lookup('veeam', code, status)?.vendorCode).toBe(code);
  });

  it("reads the seed's error sample as the adapter does and classifies it", () => {
    const sample = JSON.parse(
      seedText()
        .match(/\{- "message": "string",\s*- "errorCode": "ProxyOffline",\s*- "stackTrace": "string"\s*\}/)![0]
        .replace(/- /g, ''),
    );
    const { vendorCode } = parseVeeamError(503, sample);
    expect(vendorCode).toBe('ProxyOffline');
    expect(catalog.lookup('veeam', vendorCode, 503)).toMatchObject({ code: 'VENDOR_UNAVAILABLE', retryable: true });
  });

  it('classifies the codes the adapter relies on', () => {
    expect(catalog.lookup('veeam', 'ResourceNotFound', 404)).toMatchObject({ code: 'NOT_FOUND', retryable: false });
    expect(catalog.lookup('veeam', 'ParameterValidationFailure', 400)).toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
    expect(catalog.lookup('veeam', 'OperationConflict', 409)).toMatchObject({ code: 'NOT_ALLOWED_IN_STATE', retryable: false });
    expect(catalog.lookup('veeam', 'ResourceAccessDenied', 403)).toMatchObject({ code: 'PERMISSION_DENIED', retryable: false });
    expect(catalog.lookup('veeam', 'invalid_grant', 400)).toMatchObject({ code: 'AUTH_FAILED', retryable: false });
    expect(catalog.lookup('veeam', 'Http429', 429)).toMatchObject({ code: 'THROTTLED', retryable: true });
    expect(catalog.lookup('veeam', 'Http401', 401)).toMatchObject({ code: 'AUTH_FAILED', retryable: false });
  });

  it('uses only normalized codes, one row per (code, status), with a message', () => {
    const keys = VEEAM_ERROR_CATALOG.map((e) => `${e.vendorCode}|${e.httpStatus}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const e of VEEAM_ERROR_CATALOG) {
      expect(ERROR_CODE_LIST).toContain(e.code);
      expect(e.vendor).toBe('veeam');
      expect(e.message.length).toBeGreaterThan(0);
    }
  });
});
