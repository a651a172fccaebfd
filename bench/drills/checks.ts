// What a drill counts at the end. Vendor submissions come from the sandbox's own records (its state per
// simulated account), never from our tables; our tables are read for terminal states and events.
import type { Pool } from 'pg';
import type { DrillTenant } from './accounts';
import type { WebhookReceiver } from './receiver';

export const TERMINAL = ['succeeded', 'partiallySucceeded', 'failed', 'cancelled'];

export interface Counts {
  [name: string]: number | string;
}

/** The restore records one simulated vendor account holds, and which of our vendor refs they answer to. */
interface VendorRestores {
  /** Restores the vendor started (one per accepted submission). */
  count: number;
  /** Per our job's vendor_ref: how many vendor restores belong to it. */
  perRef: Map<string, number>;
  /** The vendor's restore records, for the diagnostics file. */
  raw?: unknown;
}

async function sandboxState(t: DrillTenant): Promise<any> {
  const res = await fetch(`${t.control.origin}/_sandbox/${t.control.vendorPrefix}/scopes/${encodeURIComponent(t.control.scope)}/state`);
  if (!res.ok) throw new Error(`sandbox state of ${t.vendor} ${t.control.scope}: ${res.status}`);
  return ((await res.json()) as { state: any }).state;
}

function tally(refs: string[], raw?: unknown): VendorRestores {
  const perRef = new Map<string, number>();
  for (const r of refs) perRef.set(r, (perRef.get(r) ?? 0) + 1);
  return { count: refs.length, perRef, raw };
}

/** Restores recorded by the sandbox for one tenant's account (see each simulator's state). */
async function vendorRestores(t: DrillTenant): Promise<VendorRestores> {
  const s = await sandboxState(t);
  switch (t.vendor) {
    case 'graph':
      // Restore sessions, keyed by id (= our vendor_ref).
      return tally(Object.keys(s.sessions ?? {}));
    case 'veeam':
      // A restore is a restore session started from the explore session our job records as vendor_ref.
      return tally(
        (s.restoreSessions ?? []).filter((r: any) => r.kind === 'restore').map((r: any) => r.exploreSessionId),
        (s.restoreSessions ?? []).map((r: any) => ({
          id: r.id,
          kind: r.kind,
          explore: r.exploreSessionId,
          state: r.state,
          events: r.events?.length,
        })),
      );
    case 'avepoint':
      return tally(
        (s.restoreJobs ?? []).map((j: any) => j.id),
        s.restoreJobs,
      );
    case 'azure-dataprotection': {
      // Vault jobs of operation Restore; our vendor_ref is the ARM operation, so these are counted, not matched.
      const jobs: any[] = [];
      for (const sub of Object.values<any>(s.subscriptions ?? {}))
        for (const rg of Object.values<any>(sub.resourceGroups ?? {}))
          for (const v of Object.values<any>(rg.vaults ?? {}))
            jobs.push(...Object.values<any>(v.jobs ?? {}).filter((j) => j.operation === 'Restore'));
      return { count: jobs.length, perRef: new Map(), raw: jobs };
    }
  }
}

export interface JobCheck {
  counts: Counts;
  failures: string[];
  /** Per tenant whose vendor restores differ from its jobs: the jobs and the vendor's records (for the log). */
  diagnostics: unknown[];
}

/**
 * Every job terminal; vendor restores = jobs per tenant (none missing, none doubled); every state change
 * of every job has exactly one published event (the event chain previousStatus -> status matches the
 * job's history of status changes and ends at its status).
 */
export async function checkJobs(pool: Pool, tenants: DrillTenant[], expectedJobs?: number): Promise<JobCheck> {
  const failures: string[] = [];
  const diagnostics: unknown[] = [];
  const { rows: jobs } = await pool.query<{
    id: string;
    tenant_id: string;
    status: string;
    vendor_ref: string | null;
    error_code: string | null;
  }>('SELECT id, tenant_id, status, vendor_ref, error_code FROM restore_jobs');
  const byStatus: Record<string, number> = {};
  for (const j of jobs) byStatus[j.status] = (byStatus[j.status] ?? 0) + 1;
  const nonTerminal = jobs.filter((j) => !TERMINAL.includes(j.status));
  if (nonTerminal.length) failures.push(`${nonTerminal.length} jobs not terminal (${JSON.stringify(byStatus)})`);
  if (expectedJobs !== undefined && jobs.length !== expectedJobs) failures.push(`${jobs.length} jobs stored, ${expectedJobs} accepted`);
  const errors: Record<string, number> = {};
  for (const j of jobs) if (j.error_code) errors[j.error_code] = (errors[j.error_code] ?? 0) + 1;

  let vendorTotal = 0;
  let missing = 0;
  let doubled = 0;
  const perVendor: Record<string, string> = {};
  for (const t of tenants) {
    const mine = jobs.filter((j) => j.tenant_id === t.tenantId);
    const v = await vendorRestores(t);
    vendorTotal += v.count;
    const [vj, vr] = (perVendor[t.vendor] ?? '0/0').split('/').map(Number);
    perVendor[t.vendor] = `${vj + mine.length}/${vr + v.count}`;
    if (v.count !== mine.length) {
      const { rows: history } = await pool.query(
        `SELECT restore_job_id, type, from_status, to_status, detail, created_at FROM restore_job_events WHERE tenant_id = $1 ORDER BY id`,
        [t.tenantId],
      );
      diagnostics.push({
        tenant: t.tenantId,
        vendor: t.vendor,
        jobs: mine.map((j) => [j.id, j.status, j.vendor_ref]),
        vendorRefs: [...v.perRef.entries()],
        sandbox: v.raw,
        history,
      });
    }
    if (v.perRef.size) {
      for (const j of mine) {
        const n = j.vendor_ref ? (v.perRef.get(j.vendor_ref) ?? 0) : 0;
        if (n === 0) missing++;
        if (n > 1) doubled += n - 1;
      }
      const ours = new Set(mine.map((j) => j.vendor_ref));
      for (const [ref, n] of v.perRef) if (!ours.has(ref)) doubled += n;
    } else if (v.count > mine.length) doubled += v.count - mine.length;
    else missing += mine.length - v.count;
  }
  if (vendorTotal !== jobs.length) failures.push(`vendor restores ${vendorTotal} != jobs ${jobs.length}`);
  if (missing) failures.push(`${missing} jobs without a vendor restore`);
  if (doubled) failures.push(`${doubled} duplicate vendor restores`);

  // Published events vs the job's own history of status changes. Event ids are UUIDv7 at millisecond
  // resolution (random below it), so events are compared as transitions (previous -> status), not by id order.
  const { rows: evs } = await pool.query<{ resource_id: string; status: string; previous: string | null }>(
    `SELECT resource_id, data->>'status' AS status, coalesce(data->>'$previous', data->>'previousStatus') AS previous FROM events WHERE resource_type = 'restore_job'`,
  );
  const { rows: hist } = await pool.query<{ restore_job_id: string; from_status: string | null; to_status: string }>(
    `SELECT restore_job_id, from_status, to_status FROM restore_job_events WHERE to_status IS DISTINCT FROM from_status ORDER BY id`,
  );
  const group = <T>(xs: T[], key: (x: T) => string) => {
    const m = new Map<string, T[]>();
    for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
    return m;
  };
  const evBy = group(evs, (e) => e.resource_id);
  const histBy = group(hist, (h) => h.restore_job_id);
  let badChains = 0;
  let eventCount = 0;
  let changeCount = 0;
  // A job still moving may change between the reads: only terminal jobs are held to their events.
  for (const j of jobs.filter((x) => TERMINAL.includes(x.status))) {
    const e = evBy.get(j.id) ?? [];
    const h = histBy.get(j.id) ?? [];
    eventCount += e.length;
    changeCount += h.length;
    const chained = h.every((x, i) => (i === 0 ? x.from_status === null : x.from_status === h[i - 1].to_status));
    const pairs = (xs: string[]) => xs.sort().join(',');
    const same = pairs(e.map((x) => `${x.previous}>${x.status}`)) === pairs(h.map((x) => `${x.from_status}>${x.to_status}`));
    if (!chained || !same || h[h.length - 1]?.to_status !== j.status) {
      badChains++;
      if (badChains <= 3)
        failures.push(
          `job ${j.id}: events ${e.map((x) => `${x.previous}>${x.status}`).join(',')} vs changes ${h.map((x) => `${x.from_status}>${x.to_status}`).join(',')} (status ${j.status})`,
        );
    }
  }
  if (badChains) failures.push(`${badChains} jobs whose events do not match their state changes one to one`);
  return {
    counts: {
      jobs: jobs.length,
      terminal: jobs.length - nonTerminal.length,
      succeeded: byStatus.succeeded ?? 0,
      failed: byStatus.failed ?? 0,
      vendorRestores: vendorTotal,
      'jobs/vendorRestores by vendor': Object.entries(perVendor)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
      missing,
      duplicates: doubled,
      stateChanges: changeCount,
      events: eventCount,
      eventMismatches: badChains,
      ...(Object.keys(errors).length ? { errorCodes: JSON.stringify(errors) } : {}),
    },
    failures,
    diagnostics,
  };
}

/** The restore-job event ids each subscribed tenant's endpoint must have received. */
export async function expectedDeliveries(pool: Pool, tenants: DrillTenant[]): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  for (const t of tenants) {
    if (!t.webhook) continue;
    const { rows } = await pool.query<{ id: string }>(
      `SELECT e.id FROM events e JOIN webhook_endpoints w ON w.id = $2
        WHERE e.tenant_id = $1 AND e.resource_type = 'restore_job' AND e.occurred_at >= w.created_at`,
      [t.tenantId, t.webhook.id],
    );
    out.set(t.webhook.route, new Set(rows.map((r) => r.id)));
  }
  return out;
}

export interface WebhookCheck {
  counts: Counts;
  failures: string[];
  complete: boolean;
  missingIds: string[];
}

/** Every expected event received (2xx) at least once per endpoint; signatures all verified; duplicates counted. */
export function checkWebhooks(receiver: WebhookReceiver, expected: Map<string, Set<string>>): WebhookCheck {
  let expectedTotal = 0;
  let missing = 0;
  const missingIds: string[] = [];
  let duplicates = 0;
  const accepted = receiver.deliveries.filter((d) => d.status >= 200 && d.status < 300);
  for (const [route, ids] of expected) {
    expectedTotal += ids.size;
    const got = accepted.filter((d) => d.route === route);
    const seen = new Set(got.map((d) => d.eventId));
    for (const id of ids)
      if (!seen.has(id)) {
        missing++;
        missingIds.push(id);
      }
    duplicates += got.length - seen.size;
  }
  const unverified = receiver.deliveries.filter((d) => !d.verified).length;
  const failures: string[] = [];
  if (missing) failures.push(`${missing} events never delivered`);
  if (unverified) failures.push(`${unverified} deliveries failed signature verification`);
  return {
    counts: {
      webhookEventsExpected: expectedTotal,
      webhookDeliveries: receiver.deliveries.length,
      webhookMissing: missing,
      webhookDuplicates: duplicates,
      signatureFailures: unverified,
    },
    failures,
    complete: missing === 0,
    missingIds,
  };
}
