import { ERROR_CODES, type ErrorCode } from '@bg/domain';

/** RFC 9457 problem details, with our normalized `code`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance?: string;
  errors?: Array<{ path: string; message: string }>;
  vendor?: string;
  vendorCode?: string;
  retryable?: boolean;
  vendorRequestId?: string;
  [extra: string]: unknown;
}

export function problem(code: ErrorCode, detail: string, extra: Partial<Problem> = {}): Problem {
  const def = ERROR_CODES[code];
  return { type: `/v1/errors/${code}`, title: def.title, status: def.status, detail, code, ...extra };
}

/** An error the gateway raises with a precise problem body. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
  static of(code: ErrorCode, detail: string, extra: Partial<Problem> = {}): ProblemError {
    return new ProblemError(problem(code, detail, extra));
  }
}
