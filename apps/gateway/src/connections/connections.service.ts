import { Injectable } from '@nestjs/common';
import { DomainError, NotFound, newId, type Connection, type VendorId } from '@bg/domain';
import { registeredVendors, vendorDescriptor } from '@bg/adapters';
import { CredentialCipher, TenantDb, connectionRepository, isUuid, writeOutbox, type SealedSecret } from '@bg/platform';
import { ProblemError } from '../common/problem';
import type { CreateConnection, UpdateConnection } from './connections.dto';

@Injectable()
export class ConnectionsService {
  constructor(
    private readonly db: TenantDb,
    private readonly cipher: CredentialCipher,
  ) {}

  async create(tenantId: string, body: CreateConnection): Promise<Connection> {
    const { secret, pub } = this.splitCredentials(body.vendor, body.credentials);
    const id = newId();
    const sealed = this.cipher.encrypt(id, secret);
    const endpoint = body.endpoint ?? vendorDescriptor(body.vendor).defaultEndpoint;
    return this.db.run(tenantId, (tx) =>
      connectionRepository.insert(tx, {
        id,
        vendor: body.vendor,
        displayName: body.displayName,
        endpoint,
        publicCredentials: pub,
        sealed,
      }),
    );
  }

  /** A page of the tenant's connections after `after`, by id: `limit + 1` rows at most (see toPage). */
  async list(tenantId: string, after: string | undefined, limit: number): Promise<Connection[]> {
    return this.db.run(tenantId, (tx) => connectionRepository.listLive(tx, after, limit + 1));
  }

  async get(tenantId: string, id: string): Promise<Connection> {
    if (!isUuid(id)) throw new NotFound('connection', id);
    const connection = await this.db.run(tenantId, (tx) => connectionRepository.findLive(tx, id));
    if (!connection) throw new NotFound('connection', id);
    return connection;
  }

  async verify(tenantId: string, id: string): Promise<Connection> {
    await this.get(tenantId, id);
    await this.db.run(tenantId, async (tx) => {
      await connectionRepository.markVerificationQueued(tx, id);
      await writeOutbox(
        tx,
        tenantId,
        'connection.verify',
        { tenantId, connectionId: id },
        { jobId: `connection.verify_${id}_${Date.now()}` },
      );
    });
    return this.get(tenantId, id);
  }

  /**
   * Replaces the connection's credentials (validated for its vendor like create, sealed under the current master
   * key), endpoint or display name. New credentials or endpoint start a new credentials version and queue its
   * verification; the same PATCH again ends in the same state.
   */
  async update(tenantId: string, id: string, body: UpdateConnection): Promise<Connection> {
    const current = await this.get(tenantId, id);
    let credentials: { publicCredentials: Record<string, string>; sealed: SealedSecret } | undefined;
    if (body.credentials) {
      const { secret, pub } = this.splitCredentials(current.vendor, body.credentials);
      credentials = { publicCredentials: pub, sealed: this.cipher.encrypt(id, secret) };
    }
    const updated = await this.db.run(tenantId, async (tx) => {
      const changed = await connectionRepository.replace(tx, id, { displayName: body.displayName, endpoint: body.endpoint, credentials });
      if (!changed) throw new NotFound('connection', id);
      if (changed.credentialsVersion !== current.credentialsVersion) {
        await writeOutbox(
          tx,
          tenantId,
          'connection.verify',
          { tenantId, connectionId: id },
          { jobId: `connection.verify_${id}_v${changed.credentialsVersion}` },
        );
      }
      return changed;
    });
    return updated;
  }

  async remove(tenantId: string, id: string): Promise<void> {
    await this.get(tenantId, id);
    await this.db.run(tenantId, async (tx) => {
      const busy = await connectionRepository.dependents(tx, id);
      if (busy.policies > 0 || busy.activeRestoreJobs > 0) {
        throw new DomainError(
          'CONFLICT',
          `The connection still has ${busy.policies} policies and ${busy.activeRestoreJobs} active restore jobs; delete or finish them first.`,
        );
      }
      await connectionRepository.softDelete(tx, id);
    });
  }

  /** Checks credentials against the vendor's declared fields and splits secret from public ones. */
  private splitCredentials(vendor: VendorId, credentials: Record<string, string>) {
    if (!registeredVendors().includes(vendor))
      throw ProblemError.of('UNSUPPORTED_BY_VENDOR', `Vendor ${vendor} has no adapter in this build.`, { vendor });
    const fields = vendorDescriptor(vendor).credentialFields;
    const errors: Array<{ path: string; message: string }> = [];
    for (const name of Object.keys(credentials)) {
      if (!fields.some((f) => f.name === name)) errors.push({ path: `credentials.${name}`, message: `unknown field for ${vendor}` });
    }
    for (const f of fields) {
      if (f.required && !credentials[f.name]) errors.push({ path: `credentials.${f.name}`, message: 'required' });
    }
    if (errors.length)
      throw ProblemError.of(
        'VALIDATION_FAILED',
        `The credentials for ${vendor} are invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
        { errors },
      );
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
