import {
  MAX_ITEM_RETRIES,
  itemsToRetry,
  ACTIVE_RESTORE_STATUSES,
  RESTORE_JOB_STATUSES,
  TERMINAL_RESTORE_STATUSES,
  UNFINISHED_RESTORE_STATUSES,
  aggregateItemStatuses,
  applyProgress,
  assertTransition,
  canTransition,
  cancelNeedsVendor,
  isActive,
  isTerminal,
  mergeItems,
  restoreJobIds,
  settleItems,
  type RestoreJobItem,
  type RestoreJobStatus,
} from './restore-job';

/** The allowed moves, written out once more by hand: the state machine must say exactly this. */
const ALLOWED: Array<[RestoreJobStatus, RestoreJobStatus]> = [
  ['queued', 'submitting'],
  ['queued', 'cancelled'],
  ['queued', 'failed'],
  ['submitting', 'running'],
  ['submitting', 'failed'],
  ['submitting', 'cancelling'],
  ['submitting', 'cancelled'],
  ['submitting', 'succeeded'],
  ['submitting', 'partiallySucceeded'],
  ['running', 'succeeded'],
  ['running', 'partiallySucceeded'],
  ['running', 'failed'],
  ['running', 'cancelling'],
  ['running', 'cancelled'],
  // The vendor refused some items for now: they are submitted again (itemsToRetry).
  ['running', 'submitting'],
  ['cancelling', 'cancelled'],
  ['cancelling', 'succeeded'],
  ['cancelling', 'partiallySucceeded'],
  ['cancelling', 'failed'],
];
const allowed = new Set(ALLOWED.map(([a, b]) => `${a}>${b}`));
const ALL_PAIRS = RESTORE_JOB_STATUSES.flatMap((from) =>
  RESTORE_JOB_STATUSES.map((to) => [from, to] as [RestoreJobStatus, RestoreJobStatus]),
);

const item = (ref: string, status: RestoreJobItem['status'] = 'pending'): RestoreJobItem => ({
  restorePointId: `rp-${ref}`,
  protectedItemId: `pi-${ref}`,
  externalId: `x-${ref}`,
  restorePointRef: ref,
  protectedItemRef: `u-${ref}`,
  pointInTime: '2026-01-01T00:00:00.000Z',
  status,
});

describe('restore job state machine', () => {
  it.each(ALL_PAIRS.filter(([a, b]) => allowed.has(`${a}>${b}`)))('allows %s -> %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(() => assertTransition(from, to)).not.toThrow();
  });

  it.each(ALL_PAIRS.filter(([a, b]) => !allowed.has(`${a}>${b}`)))('refuses %s -> %s with NOT_ALLOWED_IN_STATE', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(() => assertTransition(from, to)).toThrow(expect.objectContaining({ code: 'NOT_ALLOWED_IN_STATE' }));
  });

  it('has terminal states with no way out, and active/unfinished sets that partition the rest', () => {
    for (const s of TERMINAL_RESTORE_STATUSES) {
      expect(isTerminal(s)).toBe(true);
      expect(RESTORE_JOB_STATUSES.filter((to) => canTransition(s, to))).toEqual([]);
    }
    expect([...UNFINISHED_RESTORE_STATUSES, ...TERMINAL_RESTORE_STATUSES].sort()).toEqual([...RESTORE_JOB_STATUSES].sort());
    expect(ACTIVE_RESTORE_STATUSES.every(isActive)).toBe(true);
    expect(isActive('queued')).toBe(false);
  });
});

describe('progress -> status', () => {
  const job = (status: RestoreJobStatus, items = [item('a'), item('b')]) => ({ status, items, vendorStatus: null });

  it.each([
    ['submitting', 'pending', 'running'],
    ['submitting', 'running', 'running'],
    ['running', 'running', 'running'],
    ['cancelling', 'running', 'cancelling'],
    ['running', 'cancelled', 'cancelled'],
    ['running', 'failed', 'failed'],
    ['running', 'succeeded', 'succeeded'],
    ['cancelling', 'succeeded', 'succeeded'],
    ['running', 'partiallySucceeded', 'partiallySucceeded'],
  ] as const)('%s + vendor %s -> %s', (from, state, to) => {
    expect(applyProgress(job(from), { state, vendorStatus: state }).status).toBe(to);
  });

  it('judges the end per item when the vendor reports items', () => {
    const out = applyProgress(job('running'), {
      state: 'succeeded',
      vendorStatus: 'done',
      items: [
        { restorePointRef: 'a', status: 'succeeded' },
        { restorePointRef: 'b', status: 'failed', errorCode: 'NOT_FOUND' },
      ],
    });
    expect(out.status).toBe('partiallySucceeded');
    expect(out.items.map((i) => i.status)).toEqual(['succeeded', 'failed']);
    expect(out.items[1].errorCode).toBe('NOT_FOUND');
  });

  it('gives a failure without a vendor reason RESTORE_FAILED, and keeps the vendor reason when given', () => {
    expect(applyProgress(job('running'), { state: 'failed', vendorStatus: 'Failed' }).error?.code).toBe('RESTORE_FAILED');
    expect(
      applyProgress(job('running'), { state: 'failed', vendorStatus: 'Failed', error: { code: 'QUOTA_EXCEEDED', message: 'full' } }).error
        ?.code,
    ).toBe('QUOTA_EXCEEDED');
  });

  it('reports no change when nothing moved, and never moves a terminal job', () => {
    const running = { status: 'running' as const, items: [item('a', 'running')], vendorStatus: 'InProgress' };
    expect(applyProgress(running, { state: 'running', vendorStatus: 'InProgress' }).changed).toBe(false);
    expect(applyProgress(running, { state: 'running', vendorStatus: 'Restoring' }).changed).toBe(true);
    expect(applyProgress({ ...running, status: 'succeeded' }, { state: 'failed', vendorStatus: 'x' })).toMatchObject({
      status: 'succeeded',
      changed: false,
    });
  });

  it('matches items by ref, by position when refs repeat, and otherwise applies the job state to unfinished items', () => {
    const shared = mergeItems([item('p'), { ...item('p'), restorePointId: 'rp-2' }], {
      state: 'succeeded',
      vendorStatus: 'ok',
      items: [
        { restorePointRef: 'p', status: 'succeeded' },
        { restorePointRef: 'p', status: 'failed' },
      ],
    });
    expect(shared.map((i) => i.status)).toEqual(['succeeded', 'failed']);
    expect(mergeItems([item('a', 'succeeded'), item('b')], { state: 'failed', vendorStatus: 'x' }).map((i) => i.status)).toEqual([
      'succeeded',
      'failed',
    ]);
  });

  it('aggregates item outcomes', () => {
    expect(aggregateItemStatuses([{ status: 'succeeded' }, { status: 'succeeded' }])).toBe('succeeded');
    expect(aggregateItemStatuses([{ status: 'succeeded' }, { status: 'failed' }])).toBe('partiallySucceeded');
    expect(aggregateItemStatuses([{ status: 'cancelled' }])).toBe('cancelled');
    expect(aggregateItemStatuses([{ status: 'cancelled' }, { status: 'failed' }])).toBe('failed');
    expect(aggregateItemStatuses([])).toBe('failed');
  });

  it('settles unfinished items on failure or cancellation', () => {
    expect(settleItems([item('a', 'succeeded'), item('b')], 'failed', 'TIMED_OUT').map((i) => [i.status, i.errorCode])).toEqual([
      ['succeeded', undefined],
      ['failed', 'TIMED_OUT'],
    ]);
    expect(settleItems([item('a'), item('b', 'running')], 'cancelled').map((i) => i.status)).toEqual(['cancelled', 'cancelled']);
  });
});

describe('submission phases and job ids', () => {
  it('needs the vendor for a cancel once a vendor ref exists or the start was requested', () => {
    expect(cancelNeedsVendor({ vendorRef: null, submitPhase: 'none' })).toBe(false);
    expect(cancelNeedsVendor({ vendorRef: null, submitPhase: 'preparing' })).toBe(false);
    expect(cancelNeedsVendor({ vendorRef: null, submitPhase: 'starting' })).toBe(true);
    expect(cancelNeedsVendor({ vendorRef: 'session-1', submitPhase: 'prepared' })).toBe(true);
  });

  it('builds deterministic queue job ids', () => {
    expect(restoreJobIds.submit('j1')).toBe('restore-job.submit_j1');
    expect(restoreJobIds.cancel('j1')).toBe('restore-job.cancel_j1');
    expect(restoreJobIds.pollTick('c1', 42)).toBe('restore-job.poll_c1_42');
  });
});

describe('itemsToRetry: items the vendor refused for now are restored again', () => {
  const failed = (ref: string, retries?: number): RestoreJobItem => ({
    ...item(ref, 'failed'),
    vendorCode: 'Dup',
    errorCode: 'CONFLICT',
    retries,
  });
  const progress = (outcomes: Array<{ ref: string; retryable?: boolean; status?: RestoreJobItem['status'] }>) => ({
    state: 'partiallySucceeded' as const,
    vendorStatus: 'completedWithError',
    items: outcomes.map((o) => ({ restorePointRef: o.ref, status: o.status ?? 'failed', retryable: o.retryable })),
  });

  it('resets the retryable refusals to pending, counting the retry, and leaves the rest as they ended', () => {
    const items = [item('a', 'succeeded'), failed('b'), failed('c')];
    const r = itemsToRetry(
      items,
      progress([
        { ref: 'a', status: 'succeeded' },
        { ref: 'b', retryable: true },
        { ref: 'c', retryable: false },
      ]),
    );
    expect(r?.items.map((i) => [i.restorePointRef, i.status, i.retries])).toEqual([
      ['a', 'succeeded', undefined],
      ['b', 'pending', 1],
      ['c', 'failed', undefined],
    ]);
    expect(r?.retried.map((i) => i.restorePointRef)).toEqual(['b']);
    expect(r?.items[1]).toMatchObject({ vendorCode: 'Dup', errorCode: undefined });
  });

  it(`gives up on an item after ${MAX_ITEM_RETRIES} retries, and answers nothing without a retryable refusal`, () => {
    expect(itemsToRetry([failed('b', MAX_ITEM_RETRIES)], progress([{ ref: 'b', retryable: true }]))).toBeUndefined();
    expect(itemsToRetry([failed('b', MAX_ITEM_RETRIES - 1)], progress([{ ref: 'b', retryable: true }]))?.retried[0].retries).toBe(
      MAX_ITEM_RETRIES,
    );
    expect(itemsToRetry([failed('b')], progress([{ ref: 'b' }]))).toBeUndefined();
  });
});
