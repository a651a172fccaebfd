import {
  PROTECTED_ITEM_STATUSES,
  REMOVAL_ITEM_STATUSES,
  TERMINAL_PROTECTED_ITEM_STATUSES,
  VENDOR_TRACKED_ITEM_STATUSES,
  WORKLOAD_ITEM_KIND,
  assertProtectedItemTransition,
  canProtectedItemTransition,
  isProtectedItemLive,
  isProtectedItemStatus,
  protectedItemStatusAfterRemove,
  protectedItemStatusFromVendor,
  type ProtectedItemStatus,
} from './protected-item';

/** The allowed moves, written out once more by hand (with the code path that makes each): the table must say exactly this. */
const ALLOWED: Array<[ProtectedItemStatus, ProtectedItemStatus]> = [
  // the vendor's view (worker)
  ['pending', 'protected'],
  ['pending', 'failed'],
  ['protected', 'failed'],
  ['failed', 'protected'],
  // removal asked (gateway): removing while the vendor has the item, removed when it never had it
  ['pending', 'removing'],
  ['pending', 'removed'],
  ['protected', 'removing'],
  ['protected', 'removed'],
  ['failed', 'removing'],
  ['failed', 'removed'],
  // removed at the vendor, or the whole policy deleted (worker)
  ['removing', 'removed'],
];
const allowed = new Set(ALLOWED.map(([a, b]) => `${a}>${b}`));
const MOVES = PROTECTED_ITEM_STATUSES.flatMap((from) =>
  PROTECTED_ITEM_STATUSES.filter((to) => to !== from).map((to) => [from, to] as [ProtectedItemStatus, ProtectedItemStatus]),
);

describe('protected item state machine', () => {
  it.each(MOVES.filter(([a, b]) => allowed.has(`${a}>${b}`)))('allows %s -> %s', (from, to) => {
    expect(canProtectedItemTransition(from, to)).toBe(true);
    expect(() => assertProtectedItemTransition(from, to)).not.toThrow();
  });

  it.each(MOVES.filter(([a, b]) => !allowed.has(`${a}>${b}`)))('refuses %s -> %s with NOT_ALLOWED_IN_STATE', (from, to) => {
    expect(canProtectedItemTransition(from, to)).toBe(false);
    expect(() => assertProtectedItemTransition(from, to)).toThrow(expect.objectContaining({ code: 'NOT_ALLOWED_IN_STATE' }));
  });

  it.each(PROTECTED_ITEM_STATUSES)('lets %s stay put (a write that keeps the status is no move)', (s) => {
    expect(() => assertProtectedItemTransition(s, s)).not.toThrow();
  });

  it('has removed as its only terminal state; every other status can reach it', () => {
    expect(TERMINAL_PROTECTED_ITEM_STATUSES).toEqual(['removed']);
    expect(PROTECTED_ITEM_STATUSES.filter((to) => canProtectedItemTransition('removed', to))).toEqual([]);
    for (const s of PROTECTED_ITEM_STATUSES.filter((x) => x !== 'removed')) expect(canProtectedItemTransition(s, 'removed')).toBe(true);
    expect(PROTECTED_ITEM_STATUSES.filter(isProtectedItemLive)).toEqual(['pending', 'protected', 'removing', 'failed']);
  });

  it("applies the vendor's view only to items whose removal is not asked", () => {
    expect([...VENDOR_TRACKED_ITEM_STATUSES, ...REMOVAL_ITEM_STATUSES].sort()).toEqual([...PROTECTED_ITEM_STATUSES].sort());
    for (const from of VENDOR_TRACKED_ITEM_STATUSES) {
      for (const to of ['protected', 'failed'] as const) if (from !== to) expect(canProtectedItemTransition(from, to)).toBe(true);
    }
  });

  it('recognizes its statuses', () => {
    expect(PROTECTED_ITEM_STATUSES.every(isProtectedItemStatus)).toBe(true);
    expect(isProtectedItemStatus('active')).toBe(false);
  });
});

describe('protected item status rules', () => {
  it.each<[string, { protected: boolean; error?: { code: string; message: string } }, ProtectedItemStatus | undefined]>([
    ['an error', { protected: false, error: { code: 'ALREADY_PROTECTED', message: 'x' } }, 'failed'],
    ['an error even when also protected', { protected: true, error: { code: 'VENDOR_ERROR', message: 'x' } }, 'failed'],
    ['protected', { protected: true }, 'protected'],
    ['neither (still being protected): keeps its status', { protected: false }, undefined],
  ])('maps the vendor reporting %s', (_, v, expected) => {
    expect(protectedItemStatusFromVendor(v)).toBe(expected);
  });

  it.each<[ProtectedItemStatus, string | null, ProtectedItemStatus]>([
    ['pending', null, 'removed'],
    ['pending', 'ref', 'removing'],
    ['protected', 'ref', 'removing'],
    ['protected', null, 'removed'],
    ['failed', null, 'removed'],
    ['failed', 'ref', 'removing'],
    ['removing', 'ref', 'removing'],
    ['removed', 'ref', 'removed'],
    ['removed', null, 'removed'],
  ])('removes a %s item (vendorRef %s) to %s', (status, vendorRef, expected) => {
    expect(protectedItemStatusAfterRemove({ status, vendorRef })).toBe(expected);
  });

  it('names the item kind of every workload', () => {
    expect(WORKLOAD_ITEM_KIND).toEqual({
      sharepoint: 'site',
      onedrive: 'drive',
      exchange: 'mailbox',
      teams: 'team',
      groups: 'group',
      azureBlob: 'storageAccount',
    });
  });
});
