import { seedText as seedDocument } from '../support/vendor-contracts';
import { ERROR_CODE_LIST, StaticErrorCatalog } from '@bg/domain';
import { GRAPH_ERROR_CATALOG } from '@bg/platform/migrations/data/graph.catalog';

/** Every (status, code) row of the error tables in seed 000 ("| 400 | InvalidCreateRequest | ... |"). */
function seedErrorRows(): Array<{ section: string; status: number; code: string }> {
  const rows: Array<{ section: string; status: number; code: string }> = [];
  let section = '';
  for (const line of seedDocument('000').split('\n')) {
    if (line.startsWith('## ')) section = line.slice(3).trim();
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length >= 4 && /^\d{3}$/.test(cells[1])) rows.push({ section, status: Number(cells[1]), code: cells[2] });
  }
  return rows;
}

describe('graph error catalog', () => {
  const rows = seedErrorRows();
  const catalog = new StaticErrorCatalog(GRAPH_ERROR_CATALOG);

  it('finds the error tables of seed 000', () => {
    // 19 tables in seed 000; guard against the parser silently reading nothing.
    expect(new Set(rows.map((r) => r.section)).size).toBe(19);
    expect(rows.length).toBeGreaterThan(60);
  });

  it.each(rows.map((r) => [r.section, r.status, r.code] as const))('%s: %i %s has an exact catalog row', (_section, status, code) => {
    const exact = GRAPH_ERROR_CATALOG.find((e) => e.vendorCode === code && e.httpStatus === status);
    expect(exact).toBeDefined();
    expect(catalog.lookup('graph', code, status)).toBe(exact);
  });

  it('uses only normalized codes, one row per (code, status), with a message', () => {
    const keys = GRAPH_ERROR_CATALOG.map((e) => `${e.vendorCode}|${e.httpStatus}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const e of GRAPH_ERROR_CATALOG) {
      expect(ERROR_CODE_LIST).toContain(e.code);
      expect(e.vendor).toBe('graph');
      expect(e.message.length).toBeGreaterThan(0);
    }
  });

  it('classifies the documented limits and throttling', () => {
    expect(catalog.lookup('graph', 'TooManyActiveRestoreSessions', 500)).toMatchObject({ code: 'CONCURRENCY_LIMIT', retryable: true });
    expect(catalog.lookup('graph', 'PolicyCreationNotAllowed', 409)).toMatchObject({ code: 'CONFLICT', retryable: false });
    expect(catalog.lookup('graph', 'ProtectionUnitsLimitBreached', 413)).toMatchObject({ code: 'LIMIT_EXCEEDED', retryable: false });
    expect(catalog.lookup('graph', 'TooManyRequests', 429)).toMatchObject({ code: 'THROTTLED', retryable: true });
    expect(catalog.lookup('graph', 'serviceNotAvailable', 503)).toMatchObject({ code: 'VENDOR_UNAVAILABLE', retryable: true });
    expect(catalog.lookup('graph', 'PolicyNotFound', 404)).toMatchObject({ code: 'NOT_FOUND', retryable: false });
  });

  it('classifies the inclusion-rule rows and the transient 500s (seed 000 §Inclusion Rule, §Create Policy, §Delete Session)', () => {
    expect(catalog.lookup('graph', 'InvalidInclusionRuleCreateRequest', 400)).toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
    expect(catalog.lookup('graph', 'InvalidProtectionRuleDetails', 500)).toMatchObject({ code: 'VENDOR_ERROR', retryable: true });
    expect(catalog.lookup('graph', 'InvalidInclusionRuleId', 400)).toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
    expect(catalog.lookup('graph', 'ProtectionRuleNotFound', 404)).toMatchObject({ code: 'NOT_FOUND', retryable: false });
    expect(catalog.lookup('graph', 'PolicySaveFailed', 500)).toMatchObject({ code: 'VENDOR_ERROR', retryable: true });
    expect(catalog.lookup('graph', 'IncompleteArtifactDeletion', 500)).toMatchObject({ code: 'VENDOR_ERROR', retryable: true });
  });
});
