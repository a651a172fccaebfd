import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The API request being served, for code far from the controller: the outbox stamps its id on every job
 * the request writes, so the worker's vendor calls for that job send the same id (CallContext.requestId)
 * and one id finds the request, the job and the vendor's calls. Node's AsyncLocalStorage, entered once
 * per request by the gateway.
 */
const storage = new AsyncLocalStorage<{ requestId: string }>();

export const requestContext = {
  /** Runs `fn` (and everything it starts) as part of request `requestId`. */
  run<T>(requestId: string, fn: () => T): T {
    return storage.run({ requestId }, fn);
  },
  /** The id of the request being served, if any. */
  requestId(): string | undefined {
    return storage.getStore()?.requestId;
  },
};
