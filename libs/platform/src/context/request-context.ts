import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * A tenant's offboarding check on a write, deferred by the gateway into the write's own tenant transaction
 * (TenantDb.run): `assertWritable` gets the tenant's status, read and share-locked at the transaction's start,
 * and throws when the tenant takes no more writes.
 */
export interface TenantWriteGate {
  readonly tenantId: string;
  assertWritable(status: string | undefined): void;
}

interface RequestStore {
  requestId: string;
  writeGate?: TenantWriteGate;
}

/**
 * The API request being served, for code far from the controller: the outbox stamps its id on every job
 * the request writes, so the worker's vendor calls for that job send the same id (CallContext.requestId)
 * and one id finds the request, the job and the vendor's calls. Node's AsyncLocalStorage, entered once
 * per request by the gateway.
 */
const storage = new AsyncLocalStorage<RequestStore>();

export const requestContext = {
  /** Runs `fn` (and everything it starts) as part of request `requestId`. */
  run<T>(requestId: string, fn: () => T): T {
    return storage.run({ requestId }, fn);
  },
  /** The id of the request being served, if any. */
  requestId(): string | undefined {
    return storage.getStore()?.requestId;
  },
  /**
   * Makes every tenant transaction of `gate.tenantId` that the request runs from now on start with the gate's
   * check. False outside a request (nothing set: the caller must check otherwise).
   */
  gateTenantWrites(gate: TenantWriteGate): boolean {
    const store = storage.getStore();
    if (!store) return false;
    store.writeGate = gate;
    return true;
  },
  /** The request's write gate for `tenantId` (lower-case uuid), if it has one. */
  tenantWriteGate(tenantId: string): TenantWriteGate | undefined {
    const gate = storage.getStore()?.writeGate;
    return gate && gate.tenantId.toLowerCase() === tenantId ? gate : undefined;
  },
};
