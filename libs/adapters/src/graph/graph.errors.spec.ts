import { StaticErrorCatalog } from '@bg/domain';
import { GRAPH_ERROR_CATALOG } from '@bg/platform/migrations/data/graph.catalog';
import { VendorError } from '../port/vendor-error';
import { classifyGraphCode, graphResponseError, parseGraphErrorBody } from './graph.errors';

const catalog = new StaticErrorCatalog(GRAPH_ERROR_CATALOG);
const clock = { now: () => new Date('2025-01-01T00:00:00Z') };

describe('graph errors', () => {
  it('parses the Graph error body and its innerError request id', () => {
    expect(
      parseGraphErrorBody({
        error: {
          code: 'PolicyNotFound',
          message: 'Unable to get the Protection Policy.',
          innerError: { 'request-id': 'r-1', 'client-request-id': 'c-1', date: '2025-01-01T00:00:00' },
        },
      }),
    ).toEqual({ code: 'PolicyNotFound', message: 'Unable to get the Protection Policy.', requestId: 'r-1' });
    expect(parseGraphErrorBody('<html>Bad gateway</html>')).toEqual({ message: '<html>Bad gateway</html>' });
    expect(parseGraphErrorBody(undefined)).toEqual({ message: undefined });
  });

  it('maps a catalogued code with its request id, not retryable', () => {
    const e = graphResponseError(
      {
        status: 404,
        headers: {},
        requestId: 'hdr-req',
        body: { error: { code: 'PolicyNotFound', message: 'Unable to get the Protection Policy.' } },
      },
      catalog,
      clock,
      'GET',
    );
    expect(e).toBeInstanceOf(VendorError);
    expect(e).toMatchObject({
      code: 'NOT_FOUND',
      vendor: 'graph',
      vendorCode: 'PolicyNotFound',
      httpStatus: 404,
      retryable: false,
      vendorRequestId: 'hdr-req',
      mayHaveApplied: false,
    });
  });

  it('sets retryAfterMs from Retry-After on 429 and 503', () => {
    const throttled = graphResponseError(
      { status: 429, headers: { 'retry-after': '12' }, body: { error: { code: 'TooManyRequests', message: 'slow down' } } },
      catalog,
      clock,
      'GET',
    );
    expect(throttled).toMatchObject({ code: 'THROTTLED', retryable: true, retryAfterMs: 12_000 });
    const unavailable = graphResponseError(
      { status: 503, headers: { 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }, body: '' },
      catalog,
      clock,
      'POST',
    );
    expect(unavailable).toMatchObject({ code: 'VENDOR_UNAVAILABLE', retryable: true, retryAfterMs: 30_000, mayHaveApplied: true });
  });

  it('falls back to the HTTP status for codes the catalog lacks', () => {
    expect(classifyGraphCode(catalog, 'SomethingNew', 409)).toEqual({ code: 'CONFLICT', retryable: false });
    expect(classifyGraphCode(catalog, 'SomethingNew', 502)).toEqual({ code: 'VENDOR_UNAVAILABLE', retryable: true });
    expect(classifyGraphCode(catalog, 'SomethingNew', 200)).toEqual({ code: 'VENDOR_ERROR', retryable: false });
  });

  it('maps TooManyActiveRestoreSessions to a retryable CONCURRENCY_LIMIT', () => {
    const e = graphResponseError(
      {
        status: 500,
        headers: {},
        body: { error: { code: 'TooManyActiveRestoreSessions', message: 'Temporary error: Too many active restore sessions.' } },
      },
      catalog,
      clock,
      'POST',
    );
    expect(e).toMatchObject({ code: 'CONCURRENCY_LIMIT', retryable: true, vendorCode: 'TooManyActiveRestoreSessions' });
  });
});
