import { z } from 'zod';
import { ERROR_CODE_LIST, type ErrorCode } from '@bg/domain';
import { named } from '../common/openapi';

const code = z.enum(ERROR_CODE_LIST as [ErrorCode, ...ErrorCode[]]);

/** One row of the error catalog: a vendor's code and HTTP status mapped to a normalized code. */
export const errorCatalogEntrySchema = named(
  'ErrorCatalogEntry',
  z.object({
    vendor: z.string(),
    vendorCode: z.string(),
    httpStatus: z.number().int(),
    code,
    retryable: z.boolean(),
    message: z.string(),
  }),
);

const codeFields = { code, status: z.number().int().describe('The HTTP status of a problem with this code.'), title: z.string() };

export const errorCatalogSchema = named(
  'ErrorCatalog',
  z.object({ codes: z.array(z.object(codeFields)), catalog: z.array(errorCatalogEntrySchema) }),
);

export const errorCodeSchema = named('ErrorCode', z.object({ ...codeFields, vendorErrors: z.array(errorCatalogEntrySchema) }));
