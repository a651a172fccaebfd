import { randomUUID } from 'node:crypto';
import { BACKUP_RUN_STATUSES, type BackupRunStatus, type Operation, type VendorId } from '@bg/domain';
import {
  VendorError,
  vendorDescriptor,
  type BackupVendorPort,
  type CallContext,
  type Page,
  type RestoreProgress,
  type RestoreRequest,
  type VendorBackupRun,
  type VendorCallRecord,
  type VendorOperationRef,
  type VendorRestorePoint,
} from '@bg/adapters';
import type { ConformanceFactory, ConformanceSetup } from './conformance.types';

/**
 * The adapter conformance suite, written once against BackupVendorPort and run against every vendor's
 * adapter + sandbox (STYLE.md §4). Vendor-blind: what a vendor lacks is read from its capabilities, and a
 * test of an unsupported operation asserts UNSUPPORTED_BY_VENDOR instead of skipping. Each test calls the
 * factory for a fresh vendor account, so tests share no state.
 */
export function describeAdapterConformance(vendor: VendorId, factory: ConformanceFactory): void {
  const caps = vendorDescriptor(vendor).capabilities;
  const supports = (op: Operation): boolean => caps.operations.includes(op);
  const canBuildPolicies = supports('policy.create');

  describe(`${vendor} adapter conformance`, () => {
    // --- verify -----------------------------------------------------------------------------------

    it('verify succeeds with the connection credentials', async () => {
      const s = await factory();
      const { ctx, records } = callContext();
      const res = await s.adapter().verify(ctx);
      expect(res.ok).toBe(true);
      expect(res.detail.length).toBeGreaterThan(0);
      expect(records.length).toBeGreaterThan(0);
    });

    it('verify fails with AUTH_FAILED, not retryable, for credentials the vendor refuses', async () => {
      const s = await factory();
      const e = await vendorError(s.adapter(s.badCredentials).verify(callContext().ctx));
      expect(e).toMatchObject({ code: 'AUTH_FAILED', vendor, retryable: false });
    });

    // --- policies ---------------------------------------------------------------------------------

    it('creates, reads, lists, renames and deletes a policy (each as the capabilities declare)', async () => {
      const s = await factory();
      const adapter = s.adapter();
      const { ctx } = callContext();
      const items = s.items(2);
      if (!canBuildPolicies) {
        await expectUnsupported(adapter.createPolicy(ctx, { workload: s.workload, displayName: 'conformance', items }), vendor);
        return;
      }
      const { policy, items: held } = await adapter.createPolicy(ctx, { workload: s.workload, displayName: 'conformance policy', items });
      expect(policy.vendorRef).toBeTruthy();
      expect(policy.workload).toBe(s.workload);
      expect(policy.displayName).toBe('conformance policy');
      expect(held.map((i) => i.externalId).sort()).toEqual(items.map((i) => i.externalId).sort());
      expect(held.every((i) => !i.error)).toBe(true);

      const read = await adapter.getPolicy(ctx, policy.vendorRef);
      expect(read).toMatchObject({ vendorRef: policy.vendorRef, workload: s.workload, displayName: 'conformance policy' });
      const listed = await collect((page) => adapter.listPolicies(ctx, page));
      expect(listed.map((p) => p.vendorRef)).toContain(policy.vendorRef);

      if (supports('policy.update')) {
        const renamed = await adapter.updatePolicy(ctx, policy.vendorRef, { displayName: 'conformance renamed' });
        expect(renamed.displayName).toBe('conformance renamed');
        expect((await adapter.getPolicy(ctx, policy.vendorRef)).displayName).toBe('conformance renamed');
      } else {
        await expectUnsupported(adapter.updatePolicy(ctx, policy.vendorRef, { displayName: 'x' }), vendor);
      }

      if (supports('policy.delete')) {
        await adapter.deletePolicy(ctx, policy.vendorRef);
        await s.settle();
        const gone = await vendorError(adapter.getPolicy(ctx, policy.vendorRef));
        expect(gone).toMatchObject({ code: 'NOT_FOUND', retryable: false });
      } else {
        await expectUnsupported(adapter.deletePolicy(ctx, policy.vendorRef), vendor);
      }
    });

    it('activates and deactivates a policy (as the capabilities declare)', async () => {
      const s = await factory();
      const adapter = s.adapter();
      const { ctx } = callContext();
      if (!canBuildPolicies) {
        await expectUnsupported(adapter.activatePolicy(ctx, s.unknownPolicyRef ?? randomUUID()), vendor, supports('policy.activate'));
        return;
      }
      const { policy } = await adapter.createPolicy(ctx, { workload: s.workload, displayName: 'activation', items: s.items(1) });
      if (!supports('policy.activate')) {
        await expectUnsupported(adapter.activatePolicy(ctx, policy.vendorRef), vendor);
        return;
      }
      await adapter.activatePolicy(ctx, policy.vendorRef);
      await s.settle();
      expect((await adapter.getPolicy(ctx, policy.vendorRef)).active).toBe(true);
      if (!supports('policy.deactivate')) {
        await expectUnsupported(adapter.deactivatePolicy(ctx, policy.vendorRef), vendor);
        return;
      }
      await adapter.deactivatePolicy(ctx, policy.vendorRef);
      await s.settle();
      expect((await adapter.getPolicy(ctx, policy.vendorRef)).active).toBe(false);
    });

    if (caps.limits.activePoliciesPerWorkload === 1 && canBuildPolicies && supports('policy.activate')) {
      it('refuses a second active policy for the same workload with CONFLICT (limits.activePoliciesPerWorkload = 1)', async () => {
        const s = await factory();
        const adapter = s.adapter();
        const { ctx } = callContext();
        const [a, b] = s.items(2);
        const first = await adapter.createPolicy(ctx, { workload: s.workload, displayName: 'first', items: [a] });
        await adapter.activatePolicy(ctx, first.policy.vendorRef);
        await s.settle();
        // The vendor may refuse at creation or at activation; either way with CONFLICT.
        const e = await vendorError(
          (async () => {
            const second = await adapter.createPolicy(ctx, { workload: s.workload, displayName: 'second', items: [b] });
            await adapter.activatePolicy(ctx, second.policy.vendorRef);
          })(),
        );
        expect(e).toMatchObject({ code: 'CONFLICT', retryable: false });
        expect(e.message.length).toBeGreaterThan(20);
      });
    }

    // --- protected items --------------------------------------------------------------------------

    it('creates a policy with more items than limits.protectedItemsPerRequest (the adapter splits)', async () => {
      const s = await factory();
      const adapter = s.adapter();
      const { ctx } = callContext();
      const n = (caps.limits.protectedItemsPerRequest ?? 5) + 5;
      const items = s.items(n);
      if (!canBuildPolicies) {
        await expectUnsupported(adapter.createPolicy(ctx, { workload: s.workload, displayName: 'big', items }), vendor);
        return;
      }
      await s.control.clearCalls();
      const { policy, items: held } = await adapter.createPolicy(ctx, { workload: s.workload, displayName: 'big', items });
      expect(new Set(held.map((i) => i.externalId))).toEqual(new Set(items.map((i) => i.externalId)));
      expect(held.filter((i) => i.error)).toEqual([]);
      const listed = await collect((page) => adapter.listProtectedItems(ctx, policy.vendorRef, page));
      expect(new Set(listed.map((i) => i.externalId))).toEqual(new Set(items.map((i) => i.externalId)));
      if (caps.limits.protectedItemsPerRequest) {
        const writes = (await s.control.calls()).filter((c) => c.method !== 'GET' && c.status < 300);
        expect(writes.length).toBeGreaterThanOrEqual(2);
      }
    });

    it('adds items above the per-request limit, returns already-held items as held, and removes items', async () => {
      const s = await factory();
      const adapter = s.adapter();
      const { ctx } = callContext();
      const n = (caps.limits.protectedItemsPerRequest ?? 3) + 3;
      const all = s.items(n + 1);
      if (!canBuildPolicies || !supports('protectedItem.add')) {
        await expectUnsupported(
          adapter.addProtectedItems(ctx, s.unknownPolicyRef ?? randomUUID(), all),
          vendor,
          supports('protectedItem.add'),
        );
        return;
      }
      const { policy, items: first } = await adapter.createPolicy(ctx, { workload: s.workload, displayName: 'grow', items: [all[0]] });
      // all[0] is already held: it must come back held (same ref), not failed.
      const added = await adapter.addProtectedItems(ctx, policy.vendorRef, all);
      expect(new Set(added.map((i) => i.externalId))).toEqual(new Set(all.map((i) => i.externalId)));
      expect(added.filter((i) => i.error)).toEqual([]);
      expect(added.find((i) => i.externalId === all[0].externalId)?.vendorRef).toBe(first[0].vendorRef);
      await s.settle();
      const listed = await collect((page) => adapter.listProtectedItems(ctx, policy.vendorRef, page));
      expect(listed).toHaveLength(n + 1);

      const toRemove = listed.slice(0, 2);
      if (!supports('protectedItem.remove')) {
        await expectUnsupported(
          adapter.removeProtectedItems(
            ctx,
            policy.vendorRef,
            toRemove.map((i) => i.vendorRef),
          ),
          vendor,
        );
        return;
      }
      await adapter.removeProtectedItems(
        ctx,
        policy.vendorRef,
        toRemove.map((i) => i.vendorRef),
      );
      await s.settle();
      const after = await collect((page) => adapter.listProtectedItems(ctx, policy.vendorRef, page));
      expect(after.map((i) => i.vendorRef)).not.toContain(toRemove[0].vendorRef);
      expect(after.map((i) => i.vendorRef)).not.toContain(toRemove[1].vendorRef);
      expect(after).toHaveLength(n - 1);
      // Removing an item that is already gone is not an error.
      await expect(adapter.removeProtectedItems(ctx, policy.vendorRef, [toRemove[0].vendorRef])).resolves.toBeUndefined();
    });

    it("pages past one page, following the vendor's next token unchanged", async () => {
      const s = await factory();
      const adapter = s.adapter();
      const { ctx } = callContext();
      const pageSize = caps.limits.pageSize?.default;
      if (canBuildPolicies && (s.pageSize || pageSize)) {
        // Many protected items: a page size of 2 set in the sandbox, or the vendor's default page size + 1.
        const n = s.pageSize ? 5 : pageSize! + 1;
        if (s.pageSize) await s.pageSize(2);
        const { policy } = await adapter.createPolicy(ctx, { workload: s.workload, displayName: 'paging', items: s.items(n) });
        const first = await adapter.listProtectedItems(ctx, policy.vendorRef);
        expect(first.items.length).toBeLessThan(n);
        expect(first.next).toBeDefined();
        const all = await collect((page) => adapter.listProtectedItems(ctx, policy.vendorRef, page));
        expect(all).toHaveLength(n);
        expect(new Set(all.map((i) => i.vendorRef)).size).toBe(n);
        return;
      }
      // Otherwise many restore points: one item, backed up settle after settle until they span two pages.
      const [ref] = await protectItems(s, adapter, 1);
      let first = await adapter.listRestorePoints(ctx, { protectedItemRefs: [ref] });
      for (let i = 0; i < 12 && !first.next; i += 1) {
        await s.settle();
        first = await adapter.listRestorePoints(ctx, { protectedItemRefs: [ref] });
      }
      expect(first.next).toBeDefined();
      const all = await collect((page) => adapter.listRestorePoints(ctx, { protectedItemRefs: [ref] }, page));
      expect(all.length).toBeGreaterThan(first.items.length);
      expect(new Set(all.map((p) => p.vendorRef)).size).toBe(all.length);
      expect(all.every((p) => p.protectedItemRef === ref)).toBe(true);
    });

    // --- restore points ---------------------------------------------------------------------------

    it('lists restore points of protected items once the vendor has backed them up', async () => {
      const s = await factory();
      const adapter = s.adapter();
      const { ctx } = callContext();
      if (!supports('restorePoint.list')) {
        await expectUnsupported(adapter.listRestorePoints(ctx, { protectedItemRefs: ['x'] }), vendor);
        return;
      }
      const refs = await protectItems(s, adapter, 2);
      const points = await collect((page) => adapter.listRestorePoints(ctx, { protectedItemRefs: refs }, page));
      for (const ref of refs) expect(points.filter((p) => p.protectedItemRef === ref).length).toBeGreaterThan(0);
      for (const p of points) {
        expect(refs).toContain(p.protectedItemRef);
        expect(p.vendorRef).toBeTruthy();
        expect(Number.isNaN(p.pointInTime.getTime())).toBe(false);
      }
      const future = await collect((page) =>
        adapter.listRestorePoints(ctx, { protectedItemRefs: refs, from: new Date(Date.now() + 10 * 365 * 86_400_000) }, page),
      );
      expect(future).toEqual([]);
    });

    // --- restores ---------------------------------------------------------------------------------

    it('restores items to a terminal state with per-item results', async () => {
      const s = await factory();
      const adapter = s.adapter();
      const { ctx } = callContext();
      if (!supports('restoreJob.create')) {
        await expectUnsupported(adapter.prepareRestore(ctx, fakeRestore(s, 1)), vendor);
        return;
      }
      // Two items, unless the vendor restores fewer per job.
      const n = Math.min(2, caps.limits.restoreItemsPerJob ?? 2);
      const req = await restoreRequest(s, adapter, n);
      const ref = await adapter.prepareRestore(ctx, req);
      // Prepared only: reconciliation finds nothing started yet.
      expect(await adapter.findRestore(ctx, req, ref)).toBeUndefined();
      const started = await adapter.startRestore(ctx, ref, req);
      expect(['pending', 'running', 'succeeded']).toContain(started.progress.state);
      // After a crash between start and checkpoint, reconciliation finds the started restore.
      const found = await adapter.findRestore(ctx, req, started.ref);
      expect(found?.ref.vendorRef).toBe(started.ref.vendorRef);

      const done = await untilTerminal(s, adapter, started.ref);
      expect(done.state).toBe('succeeded');
      expect(done.items).toHaveLength(n);
      expect(done.items!.map((i) => i.restorePointRef).sort()).toEqual(req.items.map((i) => i.restorePointRef).sort());
      expect(done.items!.every((i) => i.status === 'succeeded')).toBe(true);
    });

    const restoreLimit = caps.limits.restoreItemsPerJob;
    if (restoreLimit !== undefined) {
      it(`refuses more than limits.restoreItemsPerJob (${restoreLimit}) items with LIMIT_EXCEEDED before any vendor call`, async () => {
        const s = await factory();
        const adapter = s.adapter();
        const { ctx, records } = callContext();
        if (!supports('restoreJob.create')) {
          await expectUnsupported(adapter.prepareRestore(ctx, fakeRestore(s, 1)), vendor);
          return;
        }
        await s.control.clearCalls();
        const e = await vendorError(adapter.prepareRestore(ctx, fakeRestore(s, restoreLimit + 1)));
        expect(e).toMatchObject({ code: 'LIMIT_EXCEEDED', vendor, retryable: false });
        expect(await s.control.calls()).toEqual([]);
        expect(records).toEqual([]);
      });
    } else {
      it('declares no restore item limit, so a large restore is not refused for its size', async () => {
        const s = await factory();
        const adapter = s.adapter();
        const { ctx } = callContext();
        const outcome = await adapter.prepareRestore(ctx, fakeRestore(s, 60)).then(
          () => undefined,
          (e: unknown) => e,
        );
        if (outcome !== undefined) {
          expect(outcome).toBeInstanceOf(VendorError);
          expect((outcome as VendorError).code).not.toBe('LIMIT_EXCEEDED');
        }
      });
    }

    it('cancels a restore that has not started', async () => {
      const s = await factory();
      const adapter = s.adapter();
      const { ctx } = callContext();
      if (!supports('restoreJob.create')) {
        await expectUnsupported(adapter.prepareRestore(ctx, fakeRestore(s, 1)), vendor);
        return;
      }
      const req = await restoreRequest(s, adapter, 1);
      const ref = await adapter.prepareRestore(ctx, req);
      if (!supports('restoreJob.cancel')) {
        await expectUnsupported(adapter.cancelRestore(ctx, ref), vendor);
        return;
      }
      const cancelled = await adapter.cancelRestore(ctx, ref);
      expect(cancelled.state).toBe('cancelled');
      // Nothing runs afterwards at the vendor.
      await s.settle();
      const found = await adapter.findRestore(ctx, req, ref);
      expect(found === undefined || found.progress.state === 'cancelled').toBe(true);
    });

    it('cancel of a started restore stops it, or refuses with NOT_ALLOWED_IN_STATE', async () => {
      const s = await factory();
      const adapter = s.adapter();
      const { ctx } = callContext();
      if (!supports('restoreJob.create')) {
        await expectUnsupported(adapter.prepareRestore(ctx, fakeRestore(s, 1)), vendor);
        return;
      }
      const req = await restoreRequest(s, adapter, 1);
      const started = await adapter.startRestore(ctx, await adapter.prepareRestore(ctx, req), req);
      if (!supports('restoreJob.cancel')) {
        await expectUnsupported(adapter.cancelRestore(ctx, started.ref), vendor);
        return;
      }
      try {
        const res = await adapter.cancelRestore(ctx, started.ref);
        expect(['cancelled', 'succeeded', 'partiallySucceeded', 'failed']).toContain(res.state);
      } catch (e) {
        expect(e).toBeInstanceOf(VendorError);
        expect(e).toMatchObject({ code: 'NOT_ALLOWED_IN_STATE', retryable: false });
        // Refused: the restore carries on to its end.
        expect((await untilTerminal(s, adapter, started.ref)).state).toBe('succeeded');
      }
    });

    // --- errors -----------------------------------------------------------------------------------

    it('maps 429 + Retry-After to THROTTLED, retryable, waiting at least Retry-After', async () => {
      const s = await factory();
      const adapter = s.adapter();
      const { ctx } = callContext();
      await adapter.verify(ctx);
      await s.control.injectFault({ method: 'GET', status: 429, retryAfterSeconds: 7, count: 1 });
      const e = await vendorError(adapter.verify(ctx));
      expect(e).toMatchObject({ code: 'THROTTLED', vendor, retryable: true, httpStatus: 429 });
      expect(e.retryAfterMs).toBeGreaterThanOrEqual(7000);
    });

    it('maps a transient 503 to retryable VENDOR_UNAVAILABLE, and the next call succeeds', async () => {
      const s = await factory();
      const adapter = s.adapter();
      const { ctx } = callContext();
      await adapter.verify(ctx);
      await s.control.injectFault({ method: 'GET', status: 503, count: 1 });
      const e = await vendorError(adapter.verify(ctx));
      expect(e).toMatchObject({ code: 'VENDOR_UNAVAILABLE', vendor, retryable: true, httpStatus: 503 });
      await expect(adapter.verify(ctx)).resolves.toMatchObject({ ok: true });
    });

    it('maps a permanent vendor error to its normalized code, not retryable', async () => {
      const s = await factory();
      const adapter = s.adapter();
      const { ctx } = callContext();
      const unknown = s.unknownPolicyRef ?? randomUUID();
      const e = canBuildPolicies
        ? await vendorError(adapter.getPolicy(ctx, unknown))
        : await vendorError(adapter.getRestore(ctx, { vendorRef: unknown }));
      expect(e).toMatchObject({ code: 'NOT_FOUND', vendor, retryable: false });
      expect(e.vendorCode).toBeTruthy();
      expect(e.httpStatus).toBeGreaterThanOrEqual(400);
      expect(e.httpStatus).toBeLessThan(500);
    });

    it('keeps working after its access token expires (gets a fresh token, no error)', async () => {
      const s = await factory();
      const adapter = s.adapter();
      const lifetimeMs = s.shortTokens ? await s.shortTokens() : undefined;
      await adapter.verify(callContext().ctx);
      if (lifetimeMs !== undefined) await sleep(lifetimeMs + 250);
      else await s.control.advanceClock(25 * 3600 * 1000);
      await s.control.clearCalls();
      const { ctx, records } = callContext();
      await expect(adapter.verify(ctx)).resolves.toMatchObject({ ok: true });
      // The expired token cannot have been enough: a token request (before, or after a 401) came first.
      expect(records.length).toBeGreaterThanOrEqual(2);
      const calls = await s.control.calls();
      const refusedAt = calls.findIndex((c) => c.status === 401);
      if (refusedAt >= 0) expect(calls.slice(refusedAt + 1).some((c) => c.status < 300)).toBe(true);
      expect(calls.some((c) => c.status < 300)).toBe(true);
    });

    // --- call context -----------------------------------------------------------------------------

    it('sends ctx.requestId to the vendor in its request-id header, on every request', async () => {
      const s = await factory();
      const adapter = s.adapter();
      await adapter.verify(callContext().ctx);
      await s.control.clearCalls();
      const { ctx } = callContext();
      await adapter.verify(ctx);
      const calls = await s.control.calls();
      expect(calls.length).toBeGreaterThan(0);
      const sent = calls.map((c) => [c.method, c.path, c.headers?.[s.requestIdHeader]]);
      expect(sent).toEqual(calls.map((c) => [c.method, c.path, ctx.requestId]));
    });

    it('rejects an already-aborted ctx.signal with retryable VENDOR_UNAVAILABLE, without any vendor request', async () => {
      const s = await factory();
      const adapter = s.adapter();
      await s.control.clearCalls();
      const { ctx, records } = callContext();
      const controller = new AbortController();
      controller.abort(new Error('job cancelled'));
      const aborted = { ...ctx, signal: controller.signal };
      const e = await vendorError(adapter.verify(aborted));
      expect(e).toMatchObject({ code: 'VENDOR_UNAVAILABLE', vendor, retryable: true, mayHaveApplied: false });
      const read = canBuildPolicies
        ? await vendorError(adapter.listPolicies(aborted))
        : await vendorError(adapter.getRestore(aborted, { vendorRef: s.unknownPolicyRef ?? randomUUID() }));
      expect(read).toMatchObject({ code: 'VENDOR_UNAVAILABLE', vendor, retryable: true });
      expect(records).toEqual([]);
      expect(await s.control.calls()).toEqual([]);
    });

    it('aborts the HTTP request in flight when ctx.signal is aborted, with retryable VENDOR_UNAVAILABLE', async () => {
      const s = await factory();
      const adapter = s.adapter();
      await adapter.verify(callContext().ctx);
      await s.control.clearCalls();
      // The vendor holds its answer for 20 s; the call is aborted as soon as the request is at the vendor.
      await s.control.injectFault({ method: 'GET', latencyMs: 20_000, count: 1 });
      const controller = new AbortController();
      const result = vendorError(adapter.verify({ ...callContext().ctx, signal: controller.signal }));
      await waitFor(async () => (await s.control.faults()).length === 0);
      controller.abort();
      const e = await result;
      expect(e).toMatchObject({ code: 'VENDOR_UNAVAILABLE', vendor, retryable: true, mayHaveApplied: false });
      // In order, not timed: the vendor saw the client leave (499) before it answered; no GET was answered.
      let calls: Awaited<ReturnType<typeof s.control.calls>> = [];
      await waitFor(async () => (calls = (await s.control.calls()).filter((c) => c.method === 'GET')).length > 0);
      expect(calls.map((c) => c.status)).toEqual([499]);
      await s.control.clearFaults();
    });

    // --- protection health ------------------------------------------------------------------------

    const health = caps.health;
    const listsRuns = health.backupRuns !== 'none';
    const startsBackups = health.onDemandBackup !== 'none';

    it('declares protection health consistently: operations, health capabilities and port methods agree', async () => {
      const adapter = (await factory()).adapter();
      expect(supports('backupRun.list')).toBe(listsRuns);
      expect(typeof adapter.listBackupRuns === 'function').toBe(listsRuns);
      expect(supports('backup.start')).toBe(startsBackups);
      expect(typeof adapter.startBackup === 'function').toBe(startsBackups);
      expect(typeof adapter.getBackupRun === 'function').toBe(startsBackups);
      expect(health.defaultRpoMinutes).toBeGreaterThan(0);
      // What the vendor does not report is said in words, for the capabilities endpoint and the docs.
      if (!listsRuns || !startsBackups) expect(health.notes.length).toBeGreaterThan(0);
    });

    if (listsRuns) {
      it('lists backup runs of a policy once the vendor has backed its items up: every item covered by a succeeded run', async () => {
        const s = await factory();
        const adapter = s.adapter();
        const { ctx } = callContext();
        const { policyRef, refs } = await protectedPolicy(s, adapter, 2);
        const runs = await collect((page) => adapter.listBackupRuns!(ctx, { policyRef, itemRefs: refs, since: new Date(0) }, page));
        expect(runs.length).toBeGreaterThan(0);
        for (const r of runs) {
          expect(r.vendorRef).toBeTruthy();
          expect(BACKUP_RUN_STATUSES).toContain(r.status);
          expect(r.vendorStatus).toBeTruthy();
          if (r.itemRef) expect(refs).toContain(r.itemRef);
        }
        for (const ref of refs) expect(runs.some((r) => outcomeOf(r, ref) === 'succeeded')).toBe(true);
        expect(new Set(runs.map((r) => r.vendorRef)).size).toBe(runs.length);
        const future = await collect((page) =>
          adapter.listBackupRuns!(ctx, { policyRef, itemRefs: refs, since: new Date(Date.now() + 10 * 365 * 86_400_000) }, page),
        );
        expect(future).toEqual([]);
      });
    }

    it("reports backups that fail: a failed run with a normalized error, or (no runs) the item's error; other items unaffected", async () => {
      const s = await factory();
      if (!s.failBackups) throw new Error(`${vendor}: the conformance entry must provide failBackups() (protection health)`);
      const adapter = s.adapter();
      const { ctx } = callContext();
      const { policyRef, refs } = await protectedPolicy(s, adapter, 2);
      const [bad, good] = refs;
      await s.failBackups([bad]);
      await s.settle();
      await s.settle();
      if (listsRuns) {
        const runs = await collect((page) => adapter.listBackupRuns!(ctx, { policyRef, itemRefs: refs, since: new Date(0) }, page));
        const newest = (ref: string) =>
          runs
            .filter((r) => outcomeOf(r, ref) !== undefined && r.status !== 'running' && r.status !== 'queued')
            .sort((a, b) => (b.startedAt?.getTime() ?? 0) - (a.startedAt?.getTime() ?? 0))[0];
        const failed = newest(bad);
        expect(outcomeOf(failed, bad)).toBe('failed');
        const error = failed.items?.find((i) => i.itemRef === bad)?.error ?? failed.error;
        expect(error?.code).toMatch(/^[A-Z_]+$/);
        expect(error?.message).toBeTruthy();
        // A run that names no items (a whole-policy run, e.g. AvePoint's tenant backup job) cannot tell the items
        // apart: the other item shares the failed run. Where runs name their items, the other one is unaffected.
        if (failed.items || failed.itemRef) expect(['succeeded', 'warning']).toContain(outcomeOf(newest(good), good));
        else expect(health.backupRuns).toBe('perPolicy');
      } else {
        const items = await collect((page) => adapter.listProtectedItems(ctx, policyRef, page));
        const of = (ref: string) => items.find((i) => i.vendorRef === ref)!;
        expect(of(bad).error?.code).toMatch(/^[A-Z_]+$/);
        expect(of(bad).protected).toBe(false);
        expect(of(good).error).toBeUndefined();
      }
    });

    if (startsBackups) {
      it(`starts a backup on demand (of the ${health.onDemandBackup}) and follows it to succeeded`, async () => {
        const s = await factory();
        const adapter = s.adapter();
        const { ctx } = callContext();
        const { policyRef, refs } = await protectedPolicy(s, adapter, 1);
        const target = { clientRef: randomUUID(), policyRef, ...(health.onDemandBackup === 'item' ? { itemRef: refs[0] } : {}) };
        const started = await adapter.startBackup!(ctx, target);
        expect(started.ref.vendorRef).toBeTruthy();
        let run = started.run;
        for (let i = 0; i < 10 && !['succeeded', 'warning', 'failed'].includes(run.status); i += 1) {
          await s.settle();
          run = await adapter.getBackupRun!(ctx, started.ref);
        }
        expect(run.status).toBe('succeeded');
        expect(run.vendorRef).toBeTruthy();
        const runs = await collect((page) => adapter.listBackupRuns!(ctx, { policyRef, itemRefs: refs, since: new Date(0) }, page));
        expect(runs.map((r) => r.vendorRef)).toContain(run.vendorRef);
      });
    } else {
      it('refuses an on-demand backup with UNSUPPORTED_BY_VENDOR (no port method)', async () => {
        const adapter = (await factory()).adapter();
        expect(adapter.startBackup).toBeUndefined();
      });
    }

    it('reports every vendor call through ctx.onVendorCall', async () => {
      const s = await factory();
      const adapter = s.adapter();
      const { ctx, records } = callContext();
      await s.control.clearCalls();
      await adapter.verify(ctx);
      if (canBuildPolicies) await adapter.createPolicy(ctx, { workload: s.workload, displayName: 'metered', items: s.items(1) });
      await adapter.verify(ctx);
      const calls = await s.control.calls();
      expect(calls.length).toBeGreaterThan(0);
      for (const call of calls) {
        expect(records.some((r) => r.method === call.method && r.path.endsWith(call.path) && r.status === call.status)).toBe(true);
      }
      for (const r of records) {
        expect(r.durationMs).toBeGreaterThanOrEqual(0);
        expect(r.status).toBeGreaterThan(0);
      }
    });
  });
}

// --- helpers ----------------------------------------------------------------------------------------

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `until` every 20 ms; gives up (failing the test) only after 50 s, a stuck run. */
async function waitFor(until: () => Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 50_000; !(await until()); await sleep(20)) {
    if (Date.now() > deadline) throw new Error('condition not met within 50 s');
  }
}

function callContext(): { ctx: CallContext; records: VendorCallRecord[] } {
  const records: VendorCallRecord[] = [];
  return { ctx: { requestId: randomUUID(), onVendorCall: (r) => records.push(r) }, records };
}

/** Awaits a promise that must reject with a VendorError, and returns it. */
async function vendorError(p: Promise<unknown>): Promise<VendorError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(VendorError);
    return e as VendorError;
  }
  throw new Error('expected a VendorError, but the call succeeded');
}

/**
 * Asserts an operation the capabilities declare absent raises UNSUPPORTED_BY_VENDOR. When the operation is
 * declared but cannot be exercised without another (absent) one, `declared` is true and it must still fail
 * with a VendorError, never succeed silently.
 */
async function expectUnsupported(p: Promise<unknown>, vendor: string, declared = false): Promise<void> {
  const e = await vendorError(p);
  if (!declared) {
    expect(e.code).toBe('UNSUPPORTED_BY_VENDOR');
    expect(e.vendor).toBe(vendor);
    expect(e.retryable).toBe(false);
  }
}

async function collect<T>(list: (page?: string) => Promise<Page<T>>, maxPages = 100): Promise<T[]> {
  const out: T[] = [];
  let page: string | undefined;
  for (let i = 0; i < maxPages; i += 1) {
    const res = await list(page);
    out.push(...res.items);
    if (!res.next) return out;
    page = res.next;
  }
  throw new Error(`more than ${maxPages} pages`);
}

async function requireProtectedItemRefs(s: ConformanceSetup, n: number): Promise<string[]> {
  if (!s.protectedItemRefs)
    throw new Error(`${s.vendor}: the adapter cannot create policies, so the conformance entry must provide protectedItemRefs()`);
  return s.protectedItemRefs(n);
}

/** Protects `n` items (through the port when it can, else through the sandbox), settles, returns their refs. */
async function protectItems(s: ConformanceSetup, adapter: BackupVendorPort, n: number): Promise<string[]> {
  const ctx = callContext().ctx;
  const ops = adapter.capabilities.operations;
  if (!ops.includes('policy.create')) {
    const refs = await requireProtectedItemRefs(s, n);
    await s.settle();
    return refs;
  }
  const { policy } = await adapter.createPolicy(ctx, { workload: s.workload, displayName: 'restore source', items: s.items(n) });
  if (ops.includes('policy.activate')) await adapter.activatePolicy(ctx, policy.vendorRef);
  await s.settle();
  const held = await collect((page) => adapter.listProtectedItems(ctx, policy.vendorRef, page));
  // A second settle lets the vendor take backups after protection completed.
  await s.settle();
  return held.map((i) => i.vendorRef);
}

/** `n` freshly protected items and the policy that holds them (found by listing when the port cannot create policies). */
async function protectedPolicy(s: ConformanceSetup, adapter: BackupVendorPort, n: number): Promise<{ policyRef: string; refs: string[] }> {
  const ctx = callContext().ctx;
  const refs = await protectItems(s, adapter, n);
  // No policy API (policyEmulated): the gateway's own policy id is the policy ref the adapter is handed.
  if (adapter.capabilities.policyEmulated) return { policyRef: randomUUID(), refs };
  for (const p of await collect((page) => adapter.listPolicies(ctx, page))) {
    const held = await collect((page) => adapter.listProtectedItems(ctx, p.vendorRef, page));
    if (held.some((i) => i.vendorRef === refs[0])) return { policyRef: p.vendorRef, refs };
  }
  throw new Error(`no policy holds ${refs[0]}`);
}

/** The outcome a run reports for one item: its own entry, the run's when it covers that item alone or the whole policy. */
function outcomeOf(run: VendorBackupRun, itemRef: string): BackupRunStatus | undefined {
  if (run.items) return run.items.find((i) => i.itemRef === itemRef)?.status;
  if (run.itemRef) return run.itemRef === itemRef ? run.status : undefined;
  return run.status;
}

/** A restore request of the newest point of `n` freshly protected items. */
export async function restoreRequest(s: ConformanceSetup, adapter: BackupVendorPort, n: number): Promise<RestoreRequest> {
  const ctx = callContext().ctx;
  const refs = await protectItems(s, adapter, n);
  const points = await collect((page) => adapter.listRestorePoints(ctx, { protectedItemRefs: refs }, page));
  const newest = new Map<string, VendorRestorePoint>();
  for (const p of points) {
    const cur = newest.get(p.protectedItemRef);
    if (!cur || cur.pointInTime < p.pointInTime) newest.set(p.protectedItemRef, p);
  }
  expect(newest.size).toBe(n);
  const destination = adapter.capabilities.destinations.includes('original') ? 'original' : 'new';
  return {
    clientRef: randomUUID(),
    workload: s.workload,
    destination,
    items: [...newest.values()].map((p) => ({
      restorePointRef: p.vendorRef,
      protectedItemRef: p.protectedItemRef,
      externalId: p.protectedItemRef,
      pointInTime: p.pointInTime,
      ...(s.restorePaths ? { paths: s.restorePaths(p.protectedItemRef) } : {}),
    })),
  };
}

/** A well-formed request with `n` made-up items, for checks that must refuse before calling the vendor. */
function fakeRestore(s: ConformanceSetup, n: number): RestoreRequest {
  return {
    clientRef: randomUUID(),
    workload: s.workload,
    destination: 'original',
    items: s.items(n).map((item, i) => ({
      restorePointRef: randomUUID(),
      protectedItemRef: `item-${i}`,
      externalId: item.externalId,
      pointInTime: new Date(),
      ...(s.restorePaths ? { paths: s.restorePaths(`item-${i}`) } : {}),
    })),
  };
}

async function untilTerminal(s: ConformanceSetup, adapter: BackupVendorPort, ref: VendorOperationRef): Promise<RestoreProgress> {
  const ctx = callContext().ctx;
  for (let i = 0; i < 10; i += 1) {
    const p = await adapter.getRestore(ctx, ref);
    if (['succeeded', 'partiallySucceeded', 'failed', 'cancelled'].includes(p.state)) return p;
    await s.settle();
  }
  throw new Error(`restore ${ref.vendorRef} did not reach a terminal state`);
}
