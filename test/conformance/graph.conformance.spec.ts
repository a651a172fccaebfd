import { randomBytes, randomUUID } from 'node:crypto';
import { StaticErrorCatalog, systemClock } from '@bg/domain';
import { createAdapter, type AdapterConfig, type VendorRestorePoint } from '@bg/adapters';
import { GRAPH_ERROR_CATALOG } from '@bg/platform/migrations/data/graph.catalog';
import type { RunningSandbox } from '../../apps/sandbox/src/sandbox.server';
import { graphSandboxGroupId, graphSandboxSites, graphSandboxUser } from '../../apps/sandbox/src/graph/graph.fixtures';
import { SandboxControl, startTestSandbox } from '../support/sandbox';
import { describeAdapterConformance } from './adapter-conformance';
import type { ConformanceSetup } from './conformance.types';

let sandbox: RunningSandbox;
beforeAll(async () => {
  sandbox = await startTestSandbox();
});
afterAll(async () => {
  await sandbox?.close();
});

const HOUR = 3600 * 1000;

/** A fresh Entra tenant (sandbox scope) per setup, with an app registration and a ≥16-character secret. */
export async function graphSetup(): Promise<ConformanceSetup> {
  const tenantId = randomUUID();
  const origin = sandbox.origin;
  const control = new SandboxControl(origin, 'graph', tenantId);
  const credentials = {
    tenantId,
    clientId: randomUUID(),
    clientSecret: randomBytes(24).toString('base64url'),
    authorityHost: `${origin}/graph/login`,
  };
  const config: AdapterConfig = {
    connectionId: randomUUID(),
    endpoint: `${origin}/graph/v1.0`,
    credentials,
    clock: systemClock,
    catalog: new StaticErrorCatalog(GRAPH_ERROR_CATALOG),
  };
  return {
    vendor: 'graph',
    requestIdHeader: 'client-request-id',
    config,
    control,
    adapter: (creds) => createAdapter('graph', { ...config, credentials: creds ?? credentials }),
    workload: 'sharepoint',
    items: (n) => graphSandboxSites(tenantId, n).map((site) => ({ kind: 'site', externalId: site.siteId, displayName: site.name })),
    badCredentials: { ...credentials, clientSecret: `bad-${randomBytes(12).toString('hex')}` },
    // One hour of vendor time: protection and restores finish, one more hourly backup is taken.
    settle: async () => {
      await control.advanceClock(HOUR);
    },
    // The sandbox judges token lifetime on the wall clock (like MSAL's cache): one-second tokens.
    shortTokens: async () => {
      await control.configure({ tokenLifetimeSeconds: 1 });
      return 1000;
    },
    // Seed 000 §Get Protection unit: a unit's backups failing show as its error (UnknownError, HTTP 200).
    failBackups: async (itemRefs) => {
      await control.configure({ unitErrors: Object.fromEntries(itemRefs.map((ref) => [ref, 'UnknownError'])) });
    },
  };
}

describeAdapterConformance('graph', graphSetup);

/** Graph-only behaviour (the shared suite stays vendor-blind). */
describe('graph adapter against the Graph sandbox', () => {
  const ctx = { requestId: 'graph-spec' };

  async function protectedSites(s: ConformanceSetup, sites: ReturnType<ConformanceSetup['items']>) {
    const adapter = s.adapter();
    const { policy } = await adapter.createPolicy(ctx, { workload: 'sharepoint', displayName: 'graph spec', items: sites });
    await adapter.activatePolicy(ctx, policy.vendorRef);
    await s.settle();
    const units = (await adapter.listProtectedItems(ctx, policy.vendorRef)).items;
    const points: VendorRestorePoint[] = [];
    let page: string | undefined;
    do {
      const res = await adapter.listRestorePoints(ctx, { protectedItemRefs: units.map((u) => u.vendorRef) }, page);
      points.push(...res.items);
      page = res.next;
    } while (page);
    return { adapter, policy, units, points };
  }

  function restoreOf(points: VendorRestorePoint[], destination: 'original' | 'new' = 'original') {
    const newest = new Map<string, VendorRestorePoint>();
    for (const p of points)
      if (!newest.has(p.protectedItemRef) || newest.get(p.protectedItemRef)!.pointInTime < p.pointInTime) newest.set(p.protectedItemRef, p);
    return {
      clientRef: randomUUID(),
      workload: 'sharepoint' as const,
      destination,
      items: [...newest.values()].map((p) => ({
        restorePointRef: p.vendorRef,
        protectedItemRef: p.protectedItemRef,
        externalId: p.protectedItemRef,
        pointInTime: p.pointInTime,
      })),
    };
  }

  it('walks restore points back with the documented queries only: search for the newest, then `lt` lists of at most five', async () => {
    const s = await graphSetup();
    const { adapter, units } = await protectedSites(s, s.items(1));
    // Half an hour off the backup times, so the count does not depend on how long the test took.
    await s.control.advanceClock(7.5 * HOUR);
    await s.control.clearCalls();
    const unit = units[0].vendorRef;
    const all: VendorRestorePoint[] = [];
    let page: string | undefined;
    do {
      const res = await adapter.listRestorePoints(ctx, { protectedItemRefs: [unit] }, page);
      all.push(...res.items);
      page = res.next;
    } while (page);
    // One point at protection, then one per hour: 8.5 hours later, 9 points.
    expect(all).toHaveLength(9);
    expect(new Set(all.map((p) => p.vendorRef)).size).toBe(9);
    const times = all.map((p) => p.pointInTime.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const calls = (await s.control.calls()).filter((c) => c.path.startsWith('/v1.0/solutions/backupRestore/restorePoints'));
    expect(calls.map((c) => [c.method, c.path, c.status])).toEqual([
      ['POST', '/v1.0/solutions/backupRestore/restorePoints/search', 200],
      ['GET', '/v1.0/solutions/backupRestore/restorePoints', 200],
      ['GET', '/v1.0/solutions/backupRestore/restorePoints', 200],
    ]);
    expect(calls[0].body).toMatchObject({ protectionUnitIds: [unit], restorePointPreference: 'latest' });
    for (const c of calls.slice(1)) {
      expect(c.query).toEqual({
        $expand: `protectionUnit($filter=id eq '${unit}')`,
        $filter: expect.stringMatching(/^protectionDateTime lt \d{4}-\d{2}-\d{2}T[\d:.]+Z$/),
      });
    }

    // With bounds: [from, to] inclusive, starting with a `lt` list just past `to` (no search).
    await s.control.clearCalls();
    const bounded: VendorRestorePoint[] = [];
    page = undefined;
    do {
      const res = await adapter.listRestorePoints(
        ctx,
        { protectedItemRefs: [unit], from: all[7].pointInTime, to: all[1].pointInTime },
        page,
      );
      bounded.push(...res.items);
      page = res.next;
    } while (page);
    expect(bounded.map((p) => p.vendorRef)).toEqual(all.slice(1, 8).map((p) => p.vendorRef));
    const boundedCalls = (await s.control.calls()).filter((c) => c.path.includes('/restorePoints'));
    expect(boundedCalls.map((c) => c.method)).toEqual(['GET', 'GET']);
  });

  it('verify names each missing application permission with PERMISSION_DENIED, and passes once consent is granted', async () => {
    const s = await graphSetup();
    const read = ['BackupRestore-Control.Read.All', 'BackupRestore-Configuration.Read.All', 'BackupRestore-Restore.Read.All'];
    await s.control.configure({ appRoles: read });
    const adapter = s.adapter();
    const e = await adapter.verify(ctx).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'PERMISSION_DENIED', vendor: 'graph', retryable: false, httpStatus: 403, vendorCode: 'Forbidden' });
    const message = (e as Error).message;
    for (const p of ['BackupRestore-Configuration.ReadWrite.All', 'BackupRestore-Restore.ReadWrite.All', 'BackupRestore-Search.Read.All'])
      expect(message).toContain(p);
    expect(message).not.toContain('BackupRestore-Control.Read.All');
    // Every probe was refused before touching anything: no write reached the API.
    const calls = (await s.control.calls()).filter((c) => c.path.startsWith('/v1.0/'));
    expect(calls.map((c) => [c.method, c.status])).toEqual([
      ['GET', 200],
      ['DELETE', 403],
      ['DELETE', 403],
      ['POST', 403],
    ]);

    // The admin grants the missing permissions: the same adapter (a new token) now verifies.
    await s.control.configure({
      appRoles: [
        ...read,
        'BackupRestore-Configuration.ReadWrite.All',
        'BackupRestore-Restore.ReadWrite.All',
        'BackupRestore-Search.Read.All',
      ],
    });
    await expect(adapter.verify(ctx)).resolves.toMatchObject({ ok: true });
  });

  it('verify with an app holding no Backup Storage role names all four permissions', async () => {
    const s = await graphSetup();
    await s.control.configure({ appRoles: [] });
    const e = await s
      .adapter()
      .verify(ctx)
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'PERMISSION_DENIED', retryable: false });
    expect((e as Error).message).toMatch(
      /BackupRestore-Control\.Read\.All, BackupRestore-Configuration\.ReadWrite\.All, BackupRestore-Restore\.ReadWrite\.All, BackupRestore-Search\.Read\.All/,
    );
  });

  it('maps a 403 for a missing role on a write to PERMISSION_DENIED, not retryable', async () => {
    const s = await graphSetup();
    await s.control.configure({ appRoles: ['BackupRestore-Control.Read.All', 'BackupRestore-Configuration.Read.All'] });
    const e = await s
      .adapter()
      .createPolicy(ctx, { workload: 'sharepoint', displayName: 'no write role', items: s.items(1) })
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'PERMISSION_DENIED', vendorCode: 'Forbidden', httpStatus: 403, retryable: false });
    expect((e as Error).message).toContain('BackupRestore-Configuration.ReadWrite.All');
  });

  it('creates a 55-site policy as POST with 50 units, then PATCH siteProtectionUnits@delta with 5 (seed 000: 50 per request)', async () => {
    const s = await graphSetup();
    await s.control.clearCalls();
    const { items } = await s.adapter().createPolicy(ctx, { workload: 'sharepoint', displayName: 'big', items: s.items(55) });
    expect(items).toHaveLength(55);
    const writes = (await s.control.calls()).filter((c) => c.method === 'POST' || c.method === 'PATCH');
    const api = writes.filter((c) => c.path.startsWith('/v1.0/'));
    expect(api.map((c) => [c.method, c.path, c.status])).toEqual([
      ['POST', '/v1.0/solutions/backupRestore/sharePointProtectionPolicies', 201],
      ['PATCH', expect.stringMatching(/^\/v1\.0\/solutions\/backupRestore\/sharePointProtectionPolicies\/[0-9a-f-]{36}$/), 200],
    ]);
    expect((api[0].body as { siteProtectionUnits: unknown[] }).siteProtectionUnits).toHaveLength(50);
    expect((api[1].body as Record<string, unknown[]>)['siteProtectionUnits@delta']).toHaveLength(5);
  });

  it('a policy action refused while Graph reports the policy updating is retryable; refused when settled, it is not', async () => {
    const s = await graphSetup();
    await s.control.configure({ protectDelayMs: HOUR });
    const adapter = s.adapter();
    const { policy } = await adapter.createPolicy(ctx, { workload: 'sharepoint', displayName: 'busy', items: s.items(1) });
    // Deactivating an inactive policy is refused for good (seed 000 §Deactivate: only an active one).
    await expect(adapter.deactivatePolicy(ctx, policy.vendorRef)).rejects.toMatchObject({
      code: 'NOT_ALLOWED_IN_STATE',
      vendorCode: 'PolicyActionNotAllowed',
      retryable: false,
    });
    expect((await adapter.activatePolicy(ctx, policy.vendorRef)).vendorStatus).toBe('updating');
    // Still updating (for an hour of vendor time): refused for now, retryable after a wait.
    for (const act of [() => adapter.deactivatePolicy(ctx, policy.vendorRef), () => adapter.deletePolicy(ctx, policy.vendorRef)]) {
      await expect(act()).rejects.toMatchObject({
        code: 'NOT_ALLOWED_IN_STATE',
        vendorCode: 'PolicyActionNotAllowed',
        retryable: true,
        retryAfterMs: 15_000,
      });
    }
    await s.control.advanceClock(HOUR + 1000);
    expect((await adapter.deactivatePolicy(ctx, policy.vendorRef)).active).toBe(false);
  });

  it('explains PolicyCreationNotAllowed as CONFLICT: one active policy per service', async () => {
    const s = await graphSetup();
    const adapter = s.adapter();
    const [a, b] = s.items(2);
    const first = await adapter.createPolicy(ctx, { workload: 'sharepoint', displayName: 'first', items: [a] });
    await adapter.activatePolicy(ctx, first.policy.vendorRef);
    await s.settle();
    const e = await adapter.createPolicy(ctx, { workload: 'sharepoint', displayName: 'second', items: [b] }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'CONFLICT', vendorCode: 'PolicyCreationNotAllowed', httpStatus: 409, retryable: false });
    expect((e as Error).message).toMatch(/only one active sharepoint protection policy/);
  });

  it('ends a restore of a restore-blocked site completedWithError, mapping ArtifactCannotBeRestored per item', async () => {
    const s = await graphSetup();
    const sites = graphSandboxSites(s.config.credentials.tenantId);
    const okSite = sites[0];
    const blockedSite = sites[sites.length - 1];
    expect(blockedSite.restoreBlocked).toBe(true);
    const { adapter, points } = await protectedSites(
      s,
      [okSite, blockedSite].map((x) => ({ kind: 'site' as const, externalId: x.siteId })),
    );
    const req = restoreOf(points);
    const { ref } = await adapter.startRestore(ctx, await adapter.prepareRestore(ctx, req), req);
    await s.settle();
    const done = await adapter.getRestore(ctx, ref);
    expect(done.state).toBe('partiallySucceeded');
    expect(done.vendorStatus).toBe('completedWithError');
    expect(done.items).toHaveLength(2);
    const failed = done.items!.filter((i) => i.status === 'failed');
    expect(failed).toEqual([
      expect.objectContaining({ vendorCode: 'ArtifactCannotBeRestored', errorCode: 'RESTORE_FAILED', vendorStatus: 'failed' }),
    ]);
    expect(done.items!.filter((i) => i.status === 'succeeded')).toHaveLength(1);
  });

  it('asks for evolvable enum members: a fully failed session reads `failed`, not unknownFutureValue', async () => {
    const s = await graphSetup();
    const blocked = graphSandboxSites(s.config.credentials.tenantId).slice(-1);
    const { adapter, points } = await protectedSites(
      s,
      blocked.map((x) => ({ kind: 'site' as const, externalId: x.siteId })),
    );
    const req = restoreOf(points);
    const { ref } = await adapter.startRestore(ctx, await adapter.prepareRestore(ctx, req), req);
    await s.settle();
    expect(await adapter.getRestore(ctx, ref)).toMatchObject({ state: 'failed', vendorStatus: 'failed' });
  });

  it('maps TooManyActiveRestoreSessions to retryable CONCURRENCY_LIMIT', async () => {
    const s = await graphSetup();
    await s.control.configure({ maxActiveRestoreSessions: 1, stuckSessions: true });
    const { adapter, points } = await protectedSites(s, s.items(2));
    const [u1, u2] = [...new Set(points.map((p) => p.protectedItemRef))];
    const one = restoreOf(points.filter((p) => p.protectedItemRef === u1));
    const two = restoreOf(points.filter((p) => p.protectedItemRef === u2));
    await adapter.startRestore(ctx, await adapter.prepareRestore(ctx, one), one);
    const secondRef = await adapter.prepareRestore(ctx, two);
    const e = await adapter.startRestore(ctx, secondRef, two).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'CONCURRENCY_LIMIT', vendorCode: 'TooManyActiveRestoreSessions', retryable: true });
    // Still a draft: reconciliation says "not started", so the worker activates it later.
    expect(await adapter.findRestore(ctx, two, secondRef)).toBeUndefined();
  });

  it('findPrepared adopts the draft an interrupted prepare left (same restore points and destination), deletes further copies, and never takes a session another job holds or an activated one', async () => {
    const s = await graphSetup();
    await s.control.configure({ stuckSessions: true });
    const { adapter, points } = await protectedSites(s, s.items(2));
    const [u1, u2] = [...new Set(points.map((p) => p.protectedItemRef))];
    const one = restoreOf(points.filter((p) => p.protectedItemRef === u1));
    const two = restoreOf(points.filter((p) => p.protectedItemRef === u2));
    // The sandbox's clock stamps createdDateTime.
    const { now } = await s.control.advanceClock(0);
    const since = new Date(Date.parse(now) - 60_000);
    const nobody = { heldByOthers: async () => new Set<string>() };
    expect(await adapter.findPrepared!(ctx, one, since, nobody)).toBeUndefined();
    // Two interrupted attempts of `one`, a draft of `two`, a draft of `one` restoring elsewhere, an activated `one`.
    const first = await adapter.prepareRestore(ctx, one);
    const copy = await adapter.prepareRestore(ctx, one);
    await adapter.prepareRestore(ctx, two);
    await adapter.prepareRestore(ctx, { ...one, destination: 'new' });
    const activated = await adapter.prepareRestore(ctx, one);
    await adapter.startRestore(ctx, activated, one);
    const held = await adapter.prepareRestore(ctx, one);
    const heldByOthers = async (refs: string[]) => new Set(refs.filter((r) => r === held.vendorRef));
    await s.control.clearCalls();
    const found = await adapter.findPrepared!(ctx, one, since, { heldByOthers });
    expect(found?.vendorRef).toBe(first.vendorRef);
    const deletes = (await s.control.calls()).filter((c) => c.method === 'DELETE');
    expect(deletes.map((c) => c.path.split('/').pop())).toEqual([copy.vendorRef]);
    const sessions = (await s.control.state<{ sessions: Record<string, unknown> }>()).sessions;
    expect(Object.keys(sessions)).not.toContain(copy.vendorRef);
    expect(Object.keys(sessions)).toEqual(expect.arrayContaining([first.vendorRef, activated.vendorRef, held.vendorRef]));
    // Created before `since` (less the skew): not this job's.
    expect(await adapter.findPrepared!(ctx, one, new Date(Date.parse(now) + 3_600_000), nobody)).toBeUndefined();
  });

  it('refuses to cancel an activated session without sending DELETE (Graph cannot stop one)', async () => {
    const s = await graphSetup();
    await s.control.configure({ stuckSessions: true });
    const { adapter, points } = await protectedSites(s, s.items(1));
    const req = restoreOf(points);
    const { ref } = await adapter.startRestore(ctx, await adapter.prepareRestore(ctx, req), req);
    await s.control.clearCalls();
    const e = await adapter.cancelRestore(ctx, ref).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'NOT_ALLOWED_IN_STATE', retryable: false });
    expect((await s.control.calls()).filter((c) => c.method === 'DELETE')).toEqual([]);
  });

  it('deletes a draft session on cancel (DELETE /restoreSessions/{id}, 204)', async () => {
    const s = await graphSetup();
    const { adapter, points } = await protectedSites(s, s.items(1));
    const ref = await adapter.prepareRestore(ctx, restoreOf(points, 'new'));
    await s.control.clearCalls();
    expect(await adapter.cancelRestore(ctx, ref)).toEqual({ state: 'cancelled', vendorStatus: 'deleted' });
    const deletes = (await s.control.calls()).filter((c) => c.method === 'DELETE');
    expect(deletes.map((c) => [c.path, c.status])).toEqual([[`/v1.0/solutions/backupRestore/restoreSessions/${ref.vendorRef}`, 204]]);
  });

  it('on a 401 (token revoked or expired early): a new token (fresh credential: discovery + token), the same request again', async () => {
    const s = await graphSetup();
    const adapter = s.adapter();
    await adapter.verify(ctx);
    const body = { error: { code: 'InvalidAuthenticationToken', message: 'Lifetime validation failed, the token is expired.' } };
    await s.control.injectFault({ method: 'GET', path: '^/v1\\.0/', status: 401, body, count: 1 });
    await s.control.clearCalls();
    await expect(adapter.verify(ctx)).resolves.toMatchObject({ ok: true });
    const calls = (await s.control.calls()).map((c) => [c.method, c.path.replace(s.config.credentials.tenantId, '{tenant}'), c.status]);
    // The first four calls: verify's permission probes (issue 13 item 6) follow with the new token.
    expect(calls.slice(0, 4)).toEqual([
      ['GET', '/v1.0/solutions/backupRestore', 401],
      ['GET', '/login/{tenant}/v2.0/.well-known/openid-configuration', 200],
      ['POST', '/login/{tenant}/oauth2/v2.0/token', 200],
      ['GET', '/v1.0/solutions/backupRestore', 200],
    ]);
  });

  it('with tokens that are already expired when issued: one refresh, then AUTH_FAILED (no loop)', async () => {
    const s = await graphSetup();
    await s.control.configure({ tokenLifetimeSeconds: 0 });
    const e = await s
      .adapter()
      .verify(ctx)
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'AUTH_FAILED', vendorCode: 'InvalidAuthenticationToken', httpStatus: 401, retryable: false });
    const calls = await s.control.calls();
    expect(calls.filter((c) => c.path.startsWith('/v1.0/')).map((c) => c.status)).toEqual([401, 401]);
    expect(calls.filter((c) => c.path.endsWith('/oauth2/v2.0/token'))).toHaveLength(2);
  });

  it('retries a 401 only once, then AUTH_FAILED', async () => {
    const s = await graphSetup();
    const adapter = s.adapter();
    await adapter.verify(ctx);
    const body = { error: { code: 'InvalidAuthenticationToken', message: 'Access token validation failure.' } };
    await s.control.injectFault({ method: 'GET', path: '^/v1\\.0/', status: 401, body, count: 5 });
    await s.control.clearCalls();
    const e = await adapter.verify(ctx).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'AUTH_FAILED', vendorCode: 'InvalidAuthenticationToken', httpStatus: 401, retryable: false });
    const calls = await s.control.calls();
    expect(calls.filter((c) => c.path.startsWith('/v1.0/')).map((c) => c.status)).toEqual([401, 401]);
    expect(calls.filter((c) => c.path.endsWith('/oauth2/v2.0/token'))).toHaveLength(1);
  });

  it('a policy rule creates and runs an inclusion rule; once applied, the group members are protected items of the policy', async () => {
    const s = await graphSetup();
    const adapter = s.adapter();
    const tenantId = s.config.credentials.tenantId as string;
    const { policy } = await adapter.createPolicy(ctx, {
      workload: 'onedrive',
      displayName: 'rules',
      items: [{ kind: 'drive', externalId: graphSandboxUser(tenantId, 200).directoryObjectId }],
    });
    await s.control.clearCalls();
    const groupId = graphSandboxGroupId(tenantId, 2);
    const rule = await adapter.createPolicyRule!(ctx, policy.vendorRef, { groupIds: [groupId] });
    expect(rule).toMatchObject({ state: 'running', vendorStatus: 'active' });
    const calls = (await s.control.calls()).filter((c) => c.path.includes('InclusionRules'));
    expect(calls.map((c) => [c.method, c.path, c.status])).toEqual([
      ['GET', `/v1.0/solutions/backupRestore/oneDriveForBusinessProtectionPolicies/${policy.vendorRef}/driveInclusionRules`, 200],
      ['POST', `/v1.0/solutions/backupRestore/oneDriveForBusinessProtectionPolicies/${policy.vendorRef}/driveInclusionRules`, 201],
      ['POST', `/v1.0/solutions/backupRestore/driveInclusionRules/${rule.vendorRef}/run`, 200],
    ]);
    expect(calls[1].body).toEqual({ driveExpression: `(memberOf -any (group.id -in ['${groupId}']))` });

    // A repeat (a retry after a crash) reuses the rule instead of creating a second one.
    expect((await adapter.createPolicyRule!(ctx, policy.vendorRef, { groupIds: [groupId] })).vendorRef).toBe(rule.vendorRef);

    await s.settle();
    expect(await adapter.getPolicyRule!(ctx, policy.vendorRef, rule.vendorRef)).toEqual({
      vendorRef: rule.vendorRef,
      state: 'completed',
      vendorStatus: 'completed',
    });
    const items = (await adapter.listProtectedItems(ctx, policy.vendorRef)).items.map((i) => i.externalId);
    for (const i of [10, 11, 12, 13, 14]) expect(items).toContain(graphSandboxUser(tenantId, i).directoryObjectId);

    await adapter.deletePolicyRule!(ctx, policy.vendorRef, rule.vendorRef);
    await adapter.deletePolicyRule!(ctx, policy.vendorRef, rule.vendorRef);
    await expect(adapter.getPolicyRule!(ctx, policy.vendorRef, rule.vendorRef)).rejects.toMatchObject({
      code: 'NOT_FOUND',
      vendorCode: 'ProtectionRuleNotFound',
      httpStatus: 404,
    });
    expect((await adapter.listProtectedItems(ctx, policy.vendorRef)).items).toHaveLength(6);
  });

  it('a transient InvalidProtectionRuleDetails (500) is a retryable VENDOR_ERROR', async () => {
    const s = await graphSetup();
    const adapter = s.adapter();
    const { policy } = await adapter.createPolicy(ctx, { workload: 'sharepoint', displayName: 'rules', items: s.items(1) });
    await s.control.configure({ failOperations: ['createRule'] });
    await expect(adapter.createPolicyRule!(ctx, policy.vendorRef, { groupIds: [randomUUID()] })).rejects.toMatchObject({
      code: 'VENDOR_ERROR',
      retryable: true,
      vendorCode: 'InvalidProtectionRuleDetails',
      httpStatus: 500,
    });
  });
});
