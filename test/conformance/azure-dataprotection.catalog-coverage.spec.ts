import { seedText as seedDocument } from '../support/vendor-contracts';
import { ERROR_CODE_LIST, StaticErrorCatalog } from '@bg/domain';
import { AZURE_DATAPROTECTION_ERROR_CATALOG } from '@bg/platform/migrations/data/azure-dataprotection.catalog';
import { AZURE_ERRORS } from '../../apps/sandbox/src/azure-dataprotection/azure.errors';

const VENDOR = 'azure-dataprotection';

function seedText(): string {
  return seedDocument('004');
}

/**
 * Every error code seed 004 names ("code": "UserErrorDppDatasourceAlreadyProtected"), with the HTTP status
 * of the response it appears in ("HTTP/1.1 400 BadRequest"), or 400 inside a failed operation's body
 * (the status ARM gives the operation's Location result).
 */
function seedCodes(text: string): Array<{ status: number; code: string }> {
  const out = new Map<string, { status: number; code: string }>();
  let status = 400;
  for (const line of text.split('\n')) {
    const http = /^HTTP\/1\.1 (\d{3}) /.exec(line.trim());
    if (http) status = Number(http[1]);
    if (/^GET /.test(line.trim())) status = 400;
    for (const m of line.matchAll(/"code":\s*"([A-Za-z][A-Za-z0-9]+)"/g)) out.set(`${m[1]}|${status}`, { status, code: m[1] });
  }
  return [...out.values()];
}

describe('azure-dataprotection error catalog', () => {
  const codes = seedCodes(seedText());
  const catalog = new StaticErrorCatalog(AZURE_DATAPROTECTION_ERROR_CATALOG);

  it('finds the error codes seed 004 names', () => {
    expect(codes.map((c) => c.code).sort()).toEqual(['UserErrorDppDatasourceAlreadyProtected', 'UserErrorMissingRequiredPermissions']);
  });

  it.each(codes.map((c) => [c.code, c.status] as const))('%s (%i) has an exact catalog row', (code, status) => {
    const exact = AZURE_DATAPROTECTION_ERROR_CATALOG.find((e) => e.vendorCode === code && e.httpStatus === status);
    expect(exact).toBeDefined();
    expect(catalog.lookup(VENDOR, code, status)).toBe(exact);
  });

  it('maps the seed codes to what they mean for the gateway', () => {
    expect(catalog.lookup(VENDOR, 'UserErrorDppDatasourceAlreadyProtected', 400)).toMatchObject({
      code: 'ALREADY_PROTECTED',
      retryable: false,
    });
    expect(catalog.lookup(VENDOR, 'UserErrorMissingRequiredPermissions', 400)).toMatchObject({
      code: 'PERMISSION_DENIED',
      retryable: false,
    });
    expect(catalog.lookup(VENDOR, 'SubscriptionRequestsThrottled', 429)).toMatchObject({ code: 'THROTTLED', retryable: true });
    expect(catalog.lookup(VENDOR, 'ExpiredAuthenticationToken', 401)).toMatchObject({ code: 'AUTH_FAILED', retryable: false });
    expect(catalog.lookup(VENDOR, 'AADSTS7000215', 401)).toMatchObject({ code: 'AUTH_FAILED', retryable: false });
  });

  it('has a row for every code the sandbox answers with (so no sandbox error falls back to the status)', () => {
    for (const [code, def] of Object.entries(AZURE_ERRORS)) {
      expect({
        code,
        row: AZURE_DATAPROTECTION_ERROR_CATALOG.find((e) => e.vendorCode === code && e.httpStatus === def.status) !== undefined,
      }).toEqual({ code, row: true });
    }
  });

  it('uses only normalized codes, one row per (code, status), with a message', () => {
    const keys = AZURE_DATAPROTECTION_ERROR_CATALOG.map((e) => `${e.vendorCode}|${e.httpStatus}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const e of AZURE_DATAPROTECTION_ERROR_CATALOG) {
      expect(ERROR_CODE_LIST).toContain(e.code);
      expect(e.vendor).toBe(VENDOR);
      expect(e.message.length).toBeGreaterThan(0);
    }
  });
});
