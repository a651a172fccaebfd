import { seedText as seedDocument } from '../support/vendor-contracts';
import { ERROR_CODE_LIST, StaticErrorCatalog } from '@bg/domain';
import { AVEPOINT_ERROR_CATALOG } from '@bg/platform/migrations/data/avepoint.catalog';
import { parseAvePointError, statusCode } from '../../libs/adapters/src/avepoint/avepoint.errors';

function seedText(): string {
  return seedDocument('001');
}

/** The JSON response samples of seed 001 (blocks with "statusCode"), `// comments` stripped. */
function responseSamples(text: string): Array<Record<string, any>> {
  // The seed's JSON is flush-left, nested objects too: a block runs from a "{" line until its braces balance.
  const blocks: string[] = [];
  let current: string[] | undefined;
  let depth = 0;
  for (const line of text.split('\n')) {
    if (!current && line.trim() === '{') current = [];
    if (!current) continue;
    current.push(line);
    const code = line.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\/\/.*$/, '');
    depth += (code.match(/[{[]/g) ?? []).length - (code.match(/[}\]]/g) ?? []).length;
    if (depth <= 0) {
      blocks.push(current.join('\n'));
      current = undefined;
      depth = 0;
    }
  }
  return (
    blocks
      .filter((b) => b.includes('"statusCode"'))
      // a comment follows a JSON token (`,`, `{`, `[`, digit, quote, true/false/null), never `https:`
      .map((b) => JSON.parse(b.replace(/(?<=[,{[\d"el])[ \t]*\/\/.*$/gm, '')))
  );
}

/** Every code the seed names in an error sample ("code": "InvalidParameter") with its sample's status. */
function namedCodes(samples: Array<Record<string, any>>): Array<{ status: number; code: string }> {
  return samples.flatMap((s) => (s.errors ?? []).map((e: { code: string }) => ({ status: s.statusCode, code: e.code })));
}

/** Every error status the prose names ("returns a 400 Bad Request", "returns 429 Too Many Requests"). */
function namedStatuses(text: string): number[] {
  return [...new Set([...text.matchAll(/returns (?:a )?(\d{3}) [A-Z]/g)].map((m) => Number(m[1])).filter((s) => s >= 400))].sort();
}

describe('avepoint error catalog', () => {
  const text = seedText();
  const samples = responseSamples(text);
  const catalog = new StaticErrorCatalog(AVEPOINT_ERROR_CATALOG);
  const exactRow = (code: string, status: number) => AVEPOINT_ERROR_CATALOG.find((e) => e.vendorCode === code && e.httpStatus === status);

  it('finds the samples, codes and statuses of seed 001', () => {
    // success, 400 and 429 samples; guard against the parser silently reading nothing.
    expect(samples.map((s) => s.statusCode)).toEqual([200, 400, 429]);
    expect(namedCodes(samples)).toEqual([{ status: 400, code: 'InvalidParameter' }]);
    expect(namedStatuses(text)).toEqual([400, 429]);
  });

  it.each(namedCodes(samples).map((c) => [c.status, c.code] as const))(
    '%i %s (named in a sample) has an exact catalog row',
    (status, code) => {
      expect(exactRow(code, status)).toBeDefined();
      expect(catalog.lookup('avepoint', code, status)).toBe(exactRow(code, status));
    },
  );

  it.each(samples.filter((s) => s.statusCode >= 400).map((s) => [s.statusCode, s] as const))(
    'the %i error sample, read as the adapter reads it, has an exact catalog row',
    (status, sample) => {
      // Every error sample of seed 001 answers its one endpoint, the restore submission.
      const { vendorCode } = parseAvePointError(status, sample, 'restoreSubmission');
      expect(exactRow(vendorCode, status)).toBeDefined();
    },
  );

  it.each(namedStatuses(text))('status %i named in the prose has a row for a body without code', (status) => {
    expect(exactRow(statusCode(status), status)).toBeDefined();
  });

  it('classifies the seed refusals: 400 InvalidParameter is INVALID_REQUEST, the 429 sample CONCURRENCY_LIMIT (retryable)', () => {
    expect(catalog.lookup('avepoint', 'InvalidParameter', 400)).toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
    const busy = samples.find((s) => s.statusCode === 429)!;
    expect(catalog.lookup('avepoint', parseAvePointError(429, busy, 'restoreSubmission').vendorCode, 429)).toMatchObject({
      code: 'CONCURRENCY_LIMIT',
      retryable: true,
    });
    expect(catalog.lookup('avepoint', 'Http429', 429)).toMatchObject({ code: 'THROTTLED', retryable: true });
    expect(catalog.lookup('avepoint', 'invalid_client', 400)).toMatchObject({ code: 'AUTH_FAILED', retryable: false });
  });

  it('uses only normalized codes, one row per (code, status), with a message', () => {
    const keys = AVEPOINT_ERROR_CATALOG.map((e) => `${e.vendorCode}|${e.httpStatus}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const e of AVEPOINT_ERROR_CATALOG) {
      expect(ERROR_CODE_LIST).toContain(e.code);
      expect(e.vendor).toBe('avepoint');
      expect(e.message.length).toBeGreaterThan(0);
    }
  });
});
