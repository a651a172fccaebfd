import { rowsOf } from '../database/rows';
import type { SqlTx } from '../tenancy/tenant-db';

/** An event still owed its webhook fan-out (a row of `pending_webhook_fanouts`), as the sweep takes it over. */
export interface PendingWebhookFanout {
  eventId: string;
  partnerId: string;
  tenantId: string | null;
  /** How many times the sweep has taken it over, this time included. */
  sweeps: number;
}

/** The sweep's waits between two tries of one fan-out: doubling from 4 minutes, at most an hour. */
const RETRY_SQL = `make_interval(secs => least(3600, 120 * power(2, f.sweeps + 1)))`;

/**
 * `pending_webhook_fanouts` (see its migration): written by the events trigger, deleted here by the fan-out's own
 * transaction, and taken over by the maintenance sweep when a fan-out stays owed past its `sweep_after`.
 */
export const pendingWebhookFanoutRepository = {
  /**
   * Marks the event's fan-out done, in the fan-out's transaction (so a fan-out that rolls back stays owed). Taken
   * first in that transaction, the row lock also makes a queued fan-out and the sweep's of one event run one
   * after the other.
   */
  async settle(tx: SqlTx, eventId: string): Promise<void> {
    await tx.query('DELETE FROM pending_webhook_fanouts WHERE event_id = $1', [eventId]);
  },

  /**
   * Up to `limit` fan-outs owed past their `sweep_after` at `now`, oldest first, each pushed back (RETRY_SQL) and
   * counted as it is taken, in one statement through pending_webhook_fanouts_sweep_idx. Rows a running fan-out
   * holds are skipped. Commit before fanning them out: a sweep that dies leaves them due again later.
   */
  async takeOverdue(tx: SqlTx, now: Date, limit: number): Promise<PendingWebhookFanout[]> {
    const rows = rowsOf<{ event_id: string; partner_id: string; tenant_id: string | null; sweeps: number }>(
      await tx.query(
        `UPDATE pending_webhook_fanouts f SET sweeps = f.sweeps + 1, sweep_after = $1::timestamptz + ${RETRY_SQL}
        WHERE f.event_id IN (SELECT event_id FROM pending_webhook_fanouts WHERE sweep_after <= $1
                              ORDER BY sweep_after LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING f.event_id, f.partner_id, f.tenant_id, f.sweeps`,
        [now, limit],
      ),
    );
    return rows.map((r) => ({ eventId: r.event_id, partnerId: r.partner_id, tenantId: r.tenant_id, sweeps: r.sweeps }));
  },
};
