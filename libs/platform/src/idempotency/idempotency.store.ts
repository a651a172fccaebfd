import type { DataSource } from 'typeorm';
import { appPool, type SqlTx } from '../tenancy/tenant-db';

export type IdempotencyClaim =
  | { kind: 'claimed' }
  | { kind: 'replay'; status: number; headers: Record<string, string>; body: unknown }
  | { kind: 'mismatch' }
  | { kind: 'in_flight' };

// Only an in-flight claim is completed: an answer already stored with its change (completeIn) stays as committed.
const COMPLETE_SQL = `UPDATE idempotency_keys SET state = 'done', response_status = $3, response_headers = $4, response_body = $5
  WHERE principal = $1 AND key = $2 AND state = 'in_flight'`;

function completeValues(principal: string, key: string, status: number, headers: Record<string, string>, body: unknown): unknown[] {
  return [principal, key, status, JSON.stringify(headers), JSON.stringify(body ?? null)];
}

/** A row of `idempotency_keys` as claim reads it: the answer is stored with the state `done` (complete). */
type IdempotencyKeyRow = { request_hash: string } & (
  | { state: 'in_flight'; response_status: null; response_headers: null; response_body: null }
  | { state: 'done'; response_status: number; response_headers: Record<string, string> | null; response_body: unknown }
);

/**
 * Idempotency-Key records, scoped by principal (the API key). Claim inserts an in-flight row; complete
 * stores the answer; a failed request releases the claim so the client may retry with the same key.
 * The only code that touches `idempotency_keys`.
 *
 * Crash safety: a handler that writes in a transaction stores its answer in that same transaction
 * (completeIn), so a gateway killed between its commit and its answer leaves the answer, never a job
 * without one. A claim still in flight after `inFlightLeaseSeconds` belonged to a process that died
 * before its commit (nothing was written): the next request with the key claims it again.
 */
export class IdempotencyStore {
  constructor(
    private readonly db: DataSource,
    private readonly ttlHours = 24,
    private readonly inFlightLeaseSeconds = 60,
  ) {}

  async claim(principal: string, key: string, requestHash: string): Promise<IdempotencyClaim> {
    const { rows: inserted } = await appPool(this.db).query({
      name: 'bg_idempotency_claim',
      text: `INSERT INTO idempotency_keys (principal, key, request_hash, state, expires_at)
       VALUES ($1, $2, $3, 'in_flight', now() + make_interval(hours => $4))
       ON CONFLICT (principal, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, state = 'in_flight',
         created_at = now(), expires_at = EXCLUDED.expires_at, response_status = NULL, response_body = NULL, response_headers = NULL
         WHERE idempotency_keys.expires_at < now()
            OR (idempotency_keys.state = 'in_flight' AND idempotency_keys.created_at < now() - make_interval(secs => $5))
       RETURNING 1`,
      values: [principal, key, requestHash, this.ttlHours, this.inFlightLeaseSeconds],
    });
    if (inserted.length) return { kind: 'claimed' };
    const [row]: IdempotencyKeyRow[] = await this.db.query(
      `SELECT request_hash, state, response_status, response_headers, response_body FROM idempotency_keys WHERE principal = $1 AND key = $2`,
      [principal, key],
    );
    if (!row) return this.claim(principal, key, requestHash);
    if (row.request_hash !== requestHash) return { kind: 'mismatch' };
    if (row.state === 'in_flight') return { kind: 'in_flight' };
    return { kind: 'replay', status: row.response_status, headers: row.response_headers ?? {}, body: row.response_body };
  }

  async complete(principal: string, key: string, status: number, headers: Record<string, string>, body: unknown): Promise<void> {
    await appPool(this.db).query({
      name: 'bg_idempotency_complete',
      text: COMPLETE_SQL,
      values: completeValues(principal, key, status, headers, body),
    });
  }

  /** complete, inside the caller's transaction: the answer commits (or rolls back) with the change it answers for. */
  async completeIn(
    tx: SqlTx,
    principal: string,
    key: string,
    status: number,
    headers: Record<string, string>,
    body: unknown,
  ): Promise<void> {
    await tx.query(COMPLETE_SQL, completeValues(principal, key, status, headers, body));
  }

  async release(principal: string, key: string): Promise<void> {
    await this.db.query(`DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2 AND state = 'in_flight'`, [principal, key]);
  }
}
