import { JOB_QUEUE, type JobName } from '@bg/platform';

/** Fails loudly at start-up when a queue has a job name without a handler (or a handler for no job). */
export function assertHandlers(queue: string, handlers: Record<string, unknown>): void {
  const expected = (Object.keys(JOB_QUEUE) as JobName[]).filter((n) => JOB_QUEUE[n] === queue);
  const missing = expected.filter((n) => !(n in handlers));
  const extra = Object.keys(handlers).filter((n) => !expected.includes(n as JobName));
  if (missing.length || extra.length) {
    throw new Error(`queue ${queue}: missing handlers [${missing.join(', ')}], unknown handlers [${extra.join(', ')}]`);
  }
}
