// The hand-written twin of the restore-job endpoints: what a small Fastify + pg service would do for
// the same contract, with nothing of ours but the response mapping (so both answer the same JSON).
//   GET  /v1/tenants/:t/restore-jobs/:id        one indexed query
//   GET  /v1/tenants/:t/restore-jobs?limit=50   one indexed query
//   POST /v1/tenants/:t/restore-jobs            Idempotency-Key; one transaction: restore point lookup,
//                                               job row, outbox row, idempotency row (with the answer)
// Auth: Bearer key, SHA-256 looked up once and cached in memory (like the gateway). No row-level
// security: the twin connects as the table owner and filters by tenant in SQL.
// Env: DATABASE_URL (owner), DATABASE_POOL_SIZE (default 20, the gateway's default), PORT.
import { createHash, randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { Pool } from 'pg';
import { restoreJobFromRow, type RestoreJobRow } from '../../libs/platform/src/restore-jobs/restore-job.repository';
import { toRestoreJobResource } from '../../libs/platform/src/restore-jobs/restore-job.serializer';

/** The same public JSON the gateway answers (one serializer). */
const toRestoreJob = (row: RestoreJobRow) => toRestoreJobResource(restoreJobFromRow(row));

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 20) });
const app = Fastify();
const keys = new Map<string, { tenantId: string; keyId: string } | null>();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Req = { headers: Record<string, string | string[] | undefined>; params: { tenantId: string; id?: string } };

async function principal(req: Req): Promise<{ tenantId: string; keyId: string } | null> {
  const header = req.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) return null;
  const hash = createHash('sha256').update(header.slice(7)).digest('hex');
  if (!keys.has(hash)) {
    const { rows } = await pool.query('SELECT id, tenant_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL', [hash]);
    keys.set(hash, rows[0] ? { tenantId: rows[0].tenant_id, keyId: rows[0].id } : null);
  }
  const p = keys.get(hash) ?? null;
  return p && p.tenantId === req.params.tenantId ? p : null;
}

app.get('/health', async () => ({ ok: true }));

app.get<{ Params: { tenantId: string; id: string } }>('/v1/tenants/:tenantId/restore-jobs/:id', async (req, reply) => {
  if (!(await principal(req))) return reply.status(401).send({ code: 'UNAUTHENTICATED' });
  if (!UUID.test(req.params.id)) return reply.status(404).send({ code: 'NOT_FOUND' });
  const { rows } = await pool.query('SELECT * FROM restore_jobs WHERE tenant_id = $1 AND id = $2', [req.params.tenantId, req.params.id]);
  if (!rows[0]) return reply.status(404).send({ code: 'NOT_FOUND' });
  return toRestoreJob(rows[0]);
});

app.get<{ Params: { tenantId: string }; Querystring: { limit?: string; cursor?: string } }>(
  '/v1/tenants/:tenantId/restore-jobs',
  async (req, reply) => {
    if (!(await principal(req))) return reply.status(401).send({ code: 'UNAUTHENTICATED' });
    const limit = Math.min(200, Math.max(1, Number(req.query.limit ?? 50) || 50));
    const after = req.query.cursor
      ? JSON.parse(Buffer.from(req.query.cursor, 'base64url').toString()).after
      : '00000000-0000-0000-0000-000000000000';
    const { rows } = await pool.query('SELECT * FROM restore_jobs WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3', [
      req.params.tenantId,
      after,
      limit + 1,
    ]);
    const page = rows.slice(0, limit);
    const next = rows.length > limit ? Buffer.from(JSON.stringify({ after: page[page.length - 1].id })).toString('base64url') : null;
    return { items: page.map(toRestoreJob), nextCursor: next };
  },
);

interface CreateBody {
  items?: Array<{ restorePointId?: string }>;
  destination?: string;
}

app.post<{ Params: { tenantId: string }; Body: CreateBody }>('/v1/tenants/:tenantId/restore-jobs', async (req, reply) => {
  const p = await principal(req);
  if (!p) return reply.status(401).send({ code: 'UNAUTHENTICATED' });
  const key = req.headers['idempotency-key'];
  const items = req.body?.items;
  if (
    typeof key !== 'string' ||
    !Array.isArray(items) ||
    items.length < 1 ||
    !items.every((i) => typeof i.restorePointId === 'string' && UUID.test(i.restorePointId))
  ) {
    return reply.status(400).send({ code: 'VALIDATION_FAILED' });
  }
  const tenantId = req.params.tenantId;
  const hash = createHash('sha256')
    .update(`${req.url}\n${JSON.stringify(req.body)}`)
    .digest('hex');
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows: points } = await client.query(
      `SELECT rp.id, rp.connection_id, rp.protected_item_id, rp.vendor_ref, rp.point_in_time, i.external_id, i.vendor_ref AS item_ref, p.workload, c.vendor
         FROM restore_points rp JOIN protected_items i ON i.id = rp.protected_item_id JOIN policies p ON p.id = i.policy_id
         JOIN connections c ON c.id = rp.connection_id AND c.deleted_at IS NULL
        WHERE rp.tenant_id = $1 AND rp.id = ANY($2)`,
      [tenantId, items.map((i) => i.restorePointId)],
    );
    if (points.length !== items.length) {
      await client.query('ROLLBACK');
      return reply.status(404).send({ code: 'NOT_FOUND' });
    }
    const id = randomUUID();
    const jobItems = points.map((r) => ({
      restorePointId: r.id,
      protectedItemId: r.protected_item_id,
      externalId: r.external_id,
      restorePointRef: r.vendor_ref,
      protectedItemRef: r.item_ref,
      pointInTime: new Date(r.point_in_time).toISOString(),
      status: 'pending',
    }));
    const {
      rows: [job],
    } = await client.query(
      `INSERT INTO restore_jobs (id, tenant_id, connection_id, vendor, workload, destination, status, items, deadline_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, now() + interval '1 day') RETURNING *`,
      [
        id,
        tenantId,
        points[0].connection_id,
        points[0].vendor,
        points[0].workload,
        req.body.destination ?? 'original',
        JSON.stringify(jobItems),
      ],
    );
    await client.query(
      `INSERT INTO outbox (tenant_id, queue, name, job_id, payload) VALUES ($1, 'restore-jobs', 'restore-job.submit', $2, $3)`,
      [tenantId, `restore-job.submit_${id}`, JSON.stringify({ tenantId, restoreJobId: id })],
    );
    const body = toRestoreJob(job);
    const location = `/v1/tenants/${tenantId}/restore-jobs/${id}`;
    const { rowCount } = await client.query(
      `INSERT INTO idempotency_keys (principal, key, request_hash, state, response_status, response_headers, response_body, expires_at)
       VALUES ($1, $2, $3, 'done', 202, $4, $5, now() + interval '24 hours') ON CONFLICT DO NOTHING`,
      [p.keyId, key, hash, JSON.stringify({ location }), JSON.stringify(body)],
    );
    if (!rowCount) {
      await client.query('ROLLBACK');
      const {
        rows: [prev],
      } = await pool.query('SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE principal = $1 AND key = $2', [
        p.keyId,
        key,
      ]);
      if (prev.request_hash !== hash) return reply.status(422).send({ code: 'IDEMPOTENCY_KEY_REUSED' });
      return reply.status(prev.response_status).header('idempotent-replayed', 'true').send(prev.response_body);
    }
    await client.query('COMMIT');
    return reply.status(202).header('location', location).send(body);
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
});

void app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
