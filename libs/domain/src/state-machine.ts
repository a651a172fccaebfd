import { NotAllowedInState } from './errors';

/** `value` is one of `list` (a status list typed as literals, checked against any string). */
export function oneOf<T extends string>(list: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (list as readonly string[]).includes(value);
}

/**
 * A status machine from its table of allowed moves: `can(from, to)` and `assert(from, to)`, which throws
 * NOT_ALLOWED_IN_STATE naming the resource. With `stayAllowed`, staying put always passes `assert`.
 */
export function stateMachine<S extends string>(resource: string, moves: Record<S, readonly S[]>, opts: { stayAllowed?: boolean } = {}) {
  const can = (from: S, to: S): boolean => moves[from].includes(to);
  const assert = (from: S, to: S): void => {
    if (opts.stayAllowed && from === to) return;
    if (!can(from, to)) throw new NotAllowedInState(resource, from, `move to ${to}`);
  };
  return { can, assert };
}
