import {
  CLOSED_POLICY_STATUSES,
  NOT_LIVE_POLICY_STATUSES,
  POLICY_STATUSES,
  SETTLED_POLICY_STATUSES,
  TERMINAL_POLICY_STATUSES,
  assertPolicyTransition,
  canPolicyTransition,
  isPolicyClosed,
  isPolicyLive,
  isPolicyStatus,
  policyStatusAfterRename,
  policyStatusAfterToggle,
  settledPolicyStatus,
  type PolicyStatus,
} from './policy';

/** The allowed moves, written out once more by hand (with the code path that makes each): the table must say exactly this. */
const ALLOWED: Array<[PolicyStatus, PolicyStatus]> = [
  // created at the vendor (sync), or settled straight away (an emulated policy)
  ['provisioning', 'inactive'],
  ['provisioning', 'active'],
  ['failed', 'inactive'],
  ['failed', 'active'],
  // settled by the sync from desiredActive
  ['inactive', 'active'],
  ['activating', 'active'],
  ['activating', 'inactive'],
  ['active', 'inactive'],
  ['deactivating', 'active'],
  ['deactivating', 'inactive'],
  ['updating', 'active'],
  ['updating', 'inactive'],
  // renamed at the vendor (gateway)
  ['inactive', 'updating'],
  ['activating', 'updating'],
  ['active', 'updating'],
  ['deactivating', 'updating'],
  // (de)activated at the vendor (gateway)
  ['inactive', 'activating'],
  ['inactive', 'deactivating'],
  ['activating', 'deactivating'],
  ['active', 'activating'],
  ['active', 'deactivating'],
  ['deactivating', 'activating'],
  ['updating', 'activating'],
  ['updating', 'deactivating'],
  // delete asked (gateway)
  ['provisioning', 'deleting'],
  ['inactive', 'deleting'],
  ['activating', 'deleting'],
  ['active', 'deleting'],
  ['deactivating', 'deleting'],
  ['updating', 'deleting'],
  ['failed', 'deleting'],
  // deleted (sync)
  ['deleting', 'deleted'],
  // refused for good while the vendor has no policy (sync failure)
  ['provisioning', 'failed'],
  ['deleting', 'failed'],
];
const allowed = new Set(ALLOWED.map(([a, b]) => `${a}>${b}`));
const MOVES = POLICY_STATUSES.flatMap((from) =>
  POLICY_STATUSES.filter((to) => to !== from).map((to) => [from, to] as [PolicyStatus, PolicyStatus]),
);

describe('policy state machine', () => {
  it.each(MOVES.filter(([a, b]) => allowed.has(`${a}>${b}`)))('allows %s -> %s', (from, to) => {
    expect(canPolicyTransition(from, to)).toBe(true);
    expect(() => assertPolicyTransition(from, to)).not.toThrow();
  });

  it.each(MOVES.filter(([a, b]) => !allowed.has(`${a}>${b}`)))('refuses %s -> %s with NOT_ALLOWED_IN_STATE', (from, to) => {
    expect(canPolicyTransition(from, to)).toBe(false);
    expect(() => assertPolicyTransition(from, to)).toThrow(expect.objectContaining({ code: 'NOT_ALLOWED_IN_STATE' }));
  });

  it.each(POLICY_STATUSES)('lets %s stay put (a write that keeps the status is no move)', (s) => {
    expect(canPolicyTransition(s, s)).toBe(false);
    expect(() => assertPolicyTransition(s, s)).not.toThrow();
  });

  it('has deleted as its only terminal state, and no way back from deleting but failure', () => {
    expect(TERMINAL_POLICY_STATUSES).toEqual(['deleted']);
    expect(POLICY_STATUSES.filter((to) => canPolicyTransition('deleted', to))).toEqual([]);
    expect(POLICY_STATUSES.filter((to) => canPolicyTransition('deleting', to))).toEqual(['deleted', 'failed']);
  });

  it('reaches every settled status from every status the worker syncs', () => {
    for (const from of POLICY_STATUSES.filter((s) => !isPolicyClosed(s))) {
      for (const to of SETTLED_POLICY_STATUSES) if (from !== to) expect(canPolicyTransition(from, to)).toBe(true);
    }
  });

  it.each<[PolicyStatus, boolean, boolean]>([
    ['provisioning', false, true],
    ['inactive', false, true],
    ['activating', false, true],
    ['active', false, true],
    ['deactivating', false, true],
    ['updating', false, true],
    ['deleting', true, false],
    ['deleted', true, false],
    ['failed', false, false],
  ])('%s: closed %s, live %s', (s, closed, live) => {
    expect(isPolicyClosed(s)).toBe(closed);
    expect(isPolicyLive(s)).toBe(live);
    expect((CLOSED_POLICY_STATUSES as readonly string[]).includes(s)).toBe(closed);
    expect((NOT_LIVE_POLICY_STATUSES as readonly string[]).includes(s)).toBe(!live);
  });

  it('recognizes its statuses', () => {
    expect(POLICY_STATUSES.every(isPolicyStatus)).toBe(true);
    expect(isPolicyStatus('enabled')).toBe(false);
    expect(isPolicyStatus(undefined)).toBe(false);
  });
});

describe('policy status rules', () => {
  it('settles on what the user asked for', () => {
    expect(settledPolicyStatus(true)).toBe('active');
    expect(settledPolicyStatus(false)).toBe('inactive');
  });

  it.each<[PolicyStatus, string | null, PolicyStatus]>([
    ['inactive', 'ref', 'updating'],
    ['active', 'ref', 'updating'],
    ['activating', 'ref', 'updating'],
    ['deactivating', 'ref', 'updating'],
    ['updating', 'ref', 'updating'],
    ['provisioning', null, 'provisioning'],
    ['failed', null, 'failed'],
  ])('renames a %s policy (vendorRef %s) to %s', (status, vendorRef, expected) => {
    expect(policyStatusAfterRename({ status, vendorRef })).toBe(expected);
  });

  it.each<[PolicyStatus, string | null, boolean, PolicyStatus]>([
    ['inactive', 'ref', true, 'activating'],
    ['active', 'ref', false, 'deactivating'],
    ['activating', 'ref', false, 'deactivating'],
    ['deactivating', 'ref', true, 'activating'],
    ['updating', 'ref', true, 'activating'],
    ['updating', 'ref', false, 'deactivating'],
    ['inactive', 'ref', false, 'deactivating'],
    ['provisioning', null, true, 'provisioning'],
    ['provisioning', null, false, 'provisioning'],
    ['failed', null, true, 'failed'],
  ])('(de)activates a %s policy (vendorRef %s, active %s) to %s', (status, vendorRef, active, expected) => {
    expect(policyStatusAfterToggle({ status, vendorRef }, active)).toBe(expected);
  });

  it('refuses to rename or toggle a policy the state machine does not let move', () => {
    expect(() => policyStatusAfterRename({ status: 'deleting', vendorRef: 'ref' })).toThrow(
      expect.objectContaining({ code: 'NOT_ALLOWED_IN_STATE' }),
    );
    expect(() => policyStatusAfterToggle({ status: 'deleted', vendorRef: 'ref' }, true)).toThrow(
      expect.objectContaining({ code: 'NOT_ALLOWED_IN_STATE' }),
    );
  });
});
