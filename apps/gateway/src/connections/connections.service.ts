import { Injectable } from '@nestjs/common';
import { DomainError, NotFound, newId, type VendorId } from '@bg/domain';
import { registeredVendors, vendorDescriptor } from '@bg/adapters';
import { CredentialCipher, TenantDb, isUuid, rowsOf, writeOutbox } from '@bg/platform';
import { ProblemError } from '../common/problem';
import { CONNECTION_COLUMNS, toConnection, type ConnectionRow, type CreateConnection } from './connections.dto';

@Injectable()
export class ConnectionsService {
  constructor(private readonly db: TenantDb, private readonly cipher: CredentialCipher) {}

  async create(tenantId: string, body: CreateConnection) {
    const { secret, pub } = this.splitCredentials(body.vendor, body.credentials);
    const id = newId();
    const sealed = this.cipher.encrypt(id, secret);
    const endpoint = body.endpoint ?? vendorDescriptor(body.vendor).defaultEndpoint;
    const row = await this.db.run(tenantId, async (tx) => {
      const [r] = await tx.query(
        `INSERT INTO connections (id, tenant_id, vendor, display_name, endpoint, public_credentials, secret_ciphertext, secret_wrapped_key, secret_key_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${CONNECTION_COLUMNS}`,
        [id, tenantId, body.vendor, body.displayName, endpoint, JSON.stringify(pub), sealed.ciphertext, sealed.wrappedKey, sealed.keyId],
      );
      return r as ConnectionRow;
    });
    return toConnection(row);
  }

  async list(tenantId: string, after: string | undefined, limit: number): Promise<ConnectionRow[]> {
    return this.db.run(tenantId, (tx) => tx.query(
      `SELECT ${CONNECTION_COLUMNS} FROM connections WHERE tenant_id = $1 AND deleted_at IS NULL AND id > $2 ORDER BY id LIMIT $3`,
      [tenantId, after ?? '00000000-0000-0000-0000-000000000000', limit + 1],
    ));
  }

  async get(tenantId: string, id: string): Promise<ConnectionRow> {
    if (!isUuid(id)) throw new NotFound('connection', id);
    const [row] = await this.db.run(tenantId, (tx) => tx.query(
      `SELECT ${CONNECTION_COLUMNS} FROM connections WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL`, [tenantId, id],
    ));
    if (!row) throw new NotFound('connection', id);
    return row;
  }

  async verify(tenantId: string, id: string) {
    await this.get(tenantId, id);
    await this.db.run(tenantId, async (tx) => {
      await tx.query(`UPDATE connections SET health_detail = 'verification queued', updated_at = now() WHERE id = $1`, [id]);
      await writeOutbox(tx, tenantId, 'connection.verify', { tenantId, connectionId: id }, { jobId: `connection.verify_${id}_${Date.now()}` });
    });
    return toConnection(await this.get(tenantId, id));
  }

  async remove(tenantId: string, id: string): Promise<void> {
    await this.get(tenantId, id);
    await this.db.run(tenantId, async (tx) => {
      const [busy] = await tx.query(
        `SELECT (SELECT count(*) FROM policies WHERE connection_id = $1 AND status <> 'deleted')::int AS policies,
                (SELECT count(*) FROM restore_jobs WHERE connection_id = $1 AND status IN ('queued','submitting','running','cancelling'))::int AS jobs`,
        [id],
      );
      if (busy.policies > 0 || busy.jobs > 0) {
        throw new DomainError('CONFLICT', `The connection still has ${busy.policies} policies and ${busy.jobs} active restore jobs; delete or finish them first.`);
      }
      rowsOf(await tx.query('UPDATE connections SET deleted_at = now(), updated_at = now() WHERE id = $1', [id]));
    });
  }

  /** Checks credentials against the vendor's declared fields and splits secret from public ones. */
  private splitCredentials(vendor: VendorId, credentials: Record<string, string>) {
    if (!registeredVendors().includes(vendor)) throw ProblemError.of('UNSUPPORTED_BY_VENDOR', `Vendor ${vendor} has no adapter in this build.`, { vendor });
    const fields = vendorDescriptor(vendor).credentialFields;
    const errors: Array<{ path: string; message: string }> = [];
    for (const name of Object.keys(credentials)) {
      if (!fields.some((f) => f.name === name)) errors.push({ path: `credentials.${name}`, message: `unknown field for ${vendor}` });
    }
    for (const f of fields) {
      if (f.required && !credentials[f.name]) errors.push({ path: `credentials.${f.name}`, message: 'required' });
    }
    if (errors.length) throw ProblemError.of('VALIDATION_FAILED', `The credentials for ${vendor} are invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { errors });
    const secret: Record<string, string> = {};
    const pub: Record<string, string> = {};
    for (const f of fields) {
      const v = credentials[f.name];
      if (v === undefined) continue;
      if (f.secret) secret[f.name] = v;
      else pub[f.name] = v;
    }
    return { secret, pub };
  }
}
