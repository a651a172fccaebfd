/** Time source; code takes a Clock so tests and the sandbox can control time. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };
