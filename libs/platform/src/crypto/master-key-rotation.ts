import { rowsOf } from '../database/rows';
import type { SqlTx } from '../tenancy/tenant-db';
import type { CredentialCipher, SealedSecret } from './credential-cipher';

/**
 * One place records are sealed with the CredentialCipher: how to page through the records not under a given
 * master key, and how to swap one record's wrapped data key only if it is still the one read (optimistic
 * concurrency: a concurrent PATCH or secret rotation wins, and the record it wrote is already under the current key).
 */
interface SealedColumns {
  /** `table.column` as printed in the counts. */
  name: string;
  /** Records with a key id other than `keyId`, after `cursor` (an opaque row key, '' = from the start), in row order. */
  page(db: SqlTx, keyId: string, cursor: string, limit: number): Promise<Array<{ cursor: string; recordId: string; sealed: SealedSecret }>>;
  /** Stores `next` for the row of `cursor` if it still holds `previous`; whether it did. */
  swap(db: SqlTx, cursor: string, previous: SealedSecret, next: SealedSecret): Promise<boolean>;
  /** How many records each key id seals. */
  countByKey(db: SqlTx): Promise<Record<string, number>>;
}

type ByteaRow = { cursor: string; ct: Buffer; wk: Buffer; kid: string };

/** A sealed secret kept in three bytea/text columns `<prefix>ciphertext`, `<prefix>wrapped_key`, `<prefix>key_id` of a table keyed by uuid `id`. */
function byteaColumns(table: string, prefix: string, recordId: (id: string) => string): SealedColumns {
  const [ct, wk, kid] = [`${prefix}ciphertext`, `${prefix}wrapped_key`, `${prefix}key_id`];
  return {
    name: `${table}.${prefix}*`,
    async page(db, keyId, cursor, limit) {
      const rows: ByteaRow[] = await db.query(
        `SELECT id::text AS cursor, ${ct} AS ct, ${wk} AS wk, ${kid} AS kid FROM ${table}
          WHERE ${kid} IS NOT NULL AND ${wk} IS NOT NULL AND ${kid} <> $1 AND id > $2::uuid ORDER BY id LIMIT $3`,
        [keyId, cursor || '00000000-0000-0000-0000-000000000000', limit],
      );
      return rows.map((r) => ({
        cursor: r.cursor,
        recordId: recordId(r.cursor),
        sealed: { ciphertext: r.ct, wrappedKey: r.wk, keyId: r.kid },
      }));
    },
    async swap(db, cursor, previous, next) {
      const rows = rowsOf(
        await db.query(`UPDATE ${table} SET ${wk} = $2, ${kid} = $3 WHERE id = $1 AND ${wk} = $4 AND ${kid} = $5 RETURNING id`, [
          cursor,
          next.wrappedKey,
          next.keyId,
          previous.wrappedKey,
          previous.keyId,
        ]),
      );
      return rows.length === 1;
    },
    async countByKey(db) {
      const rows: Array<{ kid: string; n: number }> = await db.query(
        `SELECT ${kid} AS kid, count(*)::int AS n FROM ${table} WHERE ${kid} IS NOT NULL AND ${wk} IS NOT NULL GROUP BY ${kid}`,
      );
      return Object.fromEntries(rows.map((r) => [r.kid, r.n]));
    },
  };
}

/**
 * Stored answers of secret-bearing requests (IdempotencyInterceptor's SecretResponse): `response_body` is
 * `{"$sealed": {ciphertext, wrappedKey, keyId}}` (base64), bound to `idempotency:<principal>:<key>`.
 */
const idempotencyAnswers: SealedColumns = {
  name: 'idempotency_keys.response_body.$sealed',
  async page(db, keyId, cursor, limit) {
    const [principal, key] = cursor ? (JSON.parse(cursor) as [string, string]) : ['', ''];
    const rows: Array<{ principal: string; key: string; s: { ciphertext: string; wrappedKey: string; keyId: string } }> = await db.query(
      `SELECT principal, key, response_body->'$sealed' AS s FROM idempotency_keys
        WHERE response_body->'$sealed' IS NOT NULL AND response_body->'$sealed'->>'keyId' <> $1 AND (principal, key) > ($2, $3)
        ORDER BY principal, key LIMIT $4`,
      [keyId, principal, key, limit],
    );
    return rows.map((r) => ({
      cursor: JSON.stringify([r.principal, r.key]),
      recordId: `idempotency:${r.principal}:${r.key}`,
      sealed: { ciphertext: Buffer.from(r.s.ciphertext, 'base64'), wrappedKey: Buffer.from(r.s.wrappedKey, 'base64'), keyId: r.s.keyId },
    }));
  },
  async swap(db, cursor, previous, next) {
    const [principal, key] = JSON.parse(cursor) as [string, string];
    const sealed = { ciphertext: next.ciphertext.toString('base64'), wrappedKey: next.wrappedKey.toString('base64'), keyId: next.keyId };
    const rows = rowsOf(
      await db.query(
        `UPDATE idempotency_keys SET response_body = jsonb_build_object('$sealed', $3::jsonb)
          WHERE principal = $1 AND key = $2 AND response_body->'$sealed'->>'wrappedKey' = $4 AND response_body->'$sealed'->>'keyId' = $5
          RETURNING 1`,
        [principal, key, JSON.stringify(sealed), previous.wrappedKey.toString('base64'), previous.keyId],
      ),
    );
    return rows.length === 1;
  },
  async countByKey(db) {
    const rows: Array<{ kid: string; n: number }> = await db.query(
      `SELECT response_body->'$sealed'->>'keyId' AS kid, count(*)::int AS n FROM idempotency_keys
        WHERE response_body->'$sealed' IS NOT NULL GROUP BY 1`,
    );
    return Object.fromEntries(rows.map((r) => [r.kid, r.n]));
  },
};

/**
 * Every place a record is sealed with the CredentialCipher (connection credentials, webhook signing secrets
 * and the one kept for a rotation's overlap, stored answers that hold a secret). A new sealed column is added here.
 */
export const SEALED_COLUMNS: readonly SealedColumns[] = [
  byteaColumns('connections', 'secret_', (id) => id),
  byteaColumns('webhook_endpoints', 'secret_', (id) => `webhook_endpoint:${id}`),
  byteaColumns('webhook_endpoints', 'previous_secret_', (id) => `webhook_endpoint:${id}`),
  idempotencyAnswers,
];

/** What the rotation did to one sealed column, and what is left under a key other than the current one. */
export interface RotationCount {
  name: string;
  /** Records whose data key was wrapped again under the current key. */
  rewrapped: number;
  /** Records changed by someone else between read and write (left as they were written; re-read on the next pass). */
  conflicts: number;
  /** Records no configured key opens (their key id is not MASTER_KEY nor in MASTER_KEYS_RETIRED, or they were tampered with). */
  failed: number;
  /** Records per key id after the run. */
  byKeyId: Record<string, number>;
  /** Records left under a key other than the current one. */
  remaining: number;
}

export interface RotationOptions {
  /** Count only; change nothing. */
  check?: boolean;
  /** Records read (and written, each in its own statement) per batch. */
  batchSize?: number;
  /** Passes over a column while conflicts keep happening. */
  maxPasses?: number;
}

/**
 * Moves every sealed record to the cipher's current master key by re-wrapping its data key (the ciphertext is not
 * touched), in bounded batches, each record by a guarded UPDATE so it can run while the service runs: a record
 * changed between read and write is left to the writer (whose value is under the current key) and read again on
 * the next pass. `db` must see every tenant's rows (the owner's DataSource). With `check`, counts only.
 */
export async function rotateMasterKey(db: SqlTx, cipher: CredentialCipher, opts: RotationOptions = {}): Promise<RotationCount[]> {
  const batchSize = opts.batchSize ?? 200;
  const out: RotationCount[] = [];
  for (const columns of SEALED_COLUMNS) {
    const count: RotationCount = { name: columns.name, rewrapped: 0, conflicts: 0, failed: 0, byKeyId: {}, remaining: 0 };
    for (let pass = 0; !opts.check && pass < (opts.maxPasses ?? 3); pass++) {
      const conflictsBefore = count.conflicts;
      count.failed = 0;
      let cursor = '';
      for (;;) {
        const page = await columns.page(db, cipher.keyId, cursor, batchSize);
        for (const record of page) {
          let next: SealedSecret;
          try {
            next = cipher.rewrap(record.recordId, record.sealed);
          } catch {
            count.failed++;
            continue;
          }
          if (await columns.swap(db, record.cursor, record.sealed, next)) count.rewrapped++;
          else count.conflicts++;
        }
        if (page.length < batchSize) break;
        cursor = page[page.length - 1].cursor;
      }
      if (count.conflicts === conflictsBefore) break;
    }
    count.byKeyId = await columns.countByKey(db);
    count.remaining = Object.entries(count.byKeyId).reduce((n, [id, c]) => (id === cipher.keyId ? n : n + c), 0);
    out.push(count);
  }
  return out;
}
