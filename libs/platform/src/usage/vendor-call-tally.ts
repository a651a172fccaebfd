import { utcDay, type UsageDay } from './usage-metrics';

/** Vendor API calls of one connection on one UTC day, not yet stored. */
export interface VendorCallCount {
  connectionId: string;
  tenantId: string;
  vendor: string;
  day: UsageDay;
  calls: number;
}

/**
 * Counts vendor API calls in memory per connection and UTC day (of the call), so metering costs no
 * database write per call; `take` hands the counts over for one batched insert.
 */
export class VendorCallTally {
  private counts = new Map<string, VendorCallCount>();

  add(connection: { id: string; tenantId: string; vendor: string }, at: Date, calls = 1): void {
    const day = utcDay(at);
    const key = `${connection.id}/${day}`;
    const entry = this.counts.get(key);
    if (entry) entry.calls += calls;
    else this.counts.set(key, { connectionId: connection.id, tenantId: connection.tenantId, vendor: connection.vendor, day, calls });
  }

  /** Removes and returns every count. */
  take(): VendorCallCount[] {
    const out = [...this.counts.values()];
    this.counts = new Map();
    return out;
  }

  /** Puts counts back (their insert failed) so the next flush stores them. */
  restore(counts: VendorCallCount[]): void {
    for (const c of counts)
      this.add({ id: c.connectionId, tenantId: c.tenantId, vendor: c.vendor }, new Date(`${c.day}T00:00:00Z`), c.calls);
  }

  get pending(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c.calls;
    return n;
  }
}
