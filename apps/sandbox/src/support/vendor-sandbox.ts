import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FaultSpec } from './faults';
import type { ScopeRegistry } from './scope';

/**
 * One simulated vendor mounted under `/{prefix}` of the sandbox server. `register` adds the vendor's
 * real routes; `scopeOf` names the vendor account a request belongs to (from its token or path) so
 * faults and the call log apply per account.
 */
export interface VendorSandbox {
  readonly prefix: string;
  readonly scopes: ScopeRegistry<unknown>;
  register(app: FastifyInstance): Promise<void> | void;
  scopeOf(req: FastifyRequest): string | undefined;
  /**
   * The account's seeded directory (sites, users ... that exist before anything is created), for the control
   * API's state answer, so a person can pick ids to use without computing them. Optional; read-only.
   */
  seededDirectory?(scopeKey: string): Record<string, unknown>;
  /** Writes a fault's error response in the vendor's own error body shape. */
  writeFault(reply: FastifyReply, fault: FaultSpec, req: FastifyRequest): void;
}
