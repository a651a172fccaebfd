import { isIP } from 'node:net';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { auditActionOf, auditOutcome, newId, type AuditEntry } from '@bg/domain';
import { APP_CONFIG, auditLogRepository, hashApiKey, isUuid, safeEqual, tenantRepository, type AppConfig } from '@bg/platform';
import { ApiKeyPrincipals } from '../common/api-key-principals.service';
import { APP_DB } from '../common/platform.providers';
import type { Grants, Principal } from '../common/principal';

/** Who acted, without what the key may do (an entry needs only the actor). */
type Actor = Principal extends infer P ? (P extends Grants ? Omit<P, keyof Grants> : never) : never;

/** What the hook saw of one finished request; turned into an AuditEntry at flush time (tenant attribution needs lookups). */
export interface AuditedRequest {
  at: Date;
  principal: Actor | undefined;
  /** No principal (refused before the auth guard ran: bad JSON, unknown route): the key sent, hashed, to name the actor. */
  keyHash?: string;
  adminKey?: boolean;
  method: string;
  route: string | null;
  params: Record<string, string>;
  /** A `tenantId` query parameter (GET /v1/events?tenantId=...), for attribution. */
  queryTenantId?: string;
  location?: string;
  status: number;
  requestId: string;
  ip: string | undefined;
  errorCode?: string;
}

const FLUSH_AT = 100;
/** Entries kept while Postgres refuses them; beyond this the oldest are dropped, and the count is logged as an error. */
const MAX_BUFFERED = 20_000;
const CACHE_MAX = 10_000;
const TENANT_LOCATION = /^\/v1\/tenants\/([0-9a-f-]{36})(?:\/|$)/i;

/** Route parameters go into the log as given, minus what Postgres text cannot hold, and bounded. */
const clean = (v: string | undefined): string | null => (v === undefined ? null : v.replace(/\u0000/g, '\uFFFD').slice(0, 200));

/**
 * Buffers audit entries and appends them after the answers went out: every AUDIT_FLUSH_MS (200 ms), at 100
 * entries, and on shutdown, one INSERT per flush (audit_log_append). Flushes never overlap. When Postgres refuses a
 * flush the entries stay buffered and are retried (a warning per failed flush). What can be lost: the entries of a
 * process that dies without shutting down (at most one flush interval), and the oldest entries beyond 20,000 held
 * during a long database outage (logged as an error with the count).
 */
@Injectable()
export class AuditRecorder implements OnModuleInit, BeforeApplicationShutdown {
  private readonly log = new Logger('AuditLog');
  private buffer: Array<AuditedRequest & { id: string }> = [];
  private timer?: NodeJS.Timeout;
  private flushing: Promise<number> = Promise.resolve(0);
  private readonly partnerOf = new Map<string, string | null>();

  constructor(
    @Inject(APP_DB) private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: ApiKeyPrincipals,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.config.AUDIT_FLUSH_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Notes an unauthenticated request's key (hashed) so its entry can still name the actor. */
  keyOf(authorization: string | undefined): Pick<AuditedRequest, 'keyHash' | 'adminKey'> {
    const key = typeof authorization === 'string' ? /^Bearer\s+(\S+)$/i.exec(authorization)?.[1] : undefined;
    if (!key) return {};
    if (this.config.ADMIN_API_KEY && safeEqual(key, this.config.ADMIN_API_KEY)) return { adminKey: true };
    return key.startsWith('bgk_') && key.length <= 100 ? { keyHash: hashApiKey(key) } : {};
  }

  record(r: AuditedRequest): void {
    // The id is made now, so ids (the list order and cursor) follow the order the answers went out in.
    this.buffer.push({ ...r, id: newId(r.at.getTime()) });
    if (this.buffer.length > MAX_BUFFERED) {
      const dropped = this.buffer.splice(0, this.buffer.length - MAX_BUFFERED);
      this.log.error(`audit log: ${dropped.length} entries dropped (Postgres has refused the writes for too long)`);
    }
    if (this.buffer.length >= FLUSH_AT) void this.flush();
  }

  /** Writes what is buffered; returns how many entries were written. */
  flush(): Promise<number> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  private async write(): Promise<number> {
    const batch = this.buffer;
    if (!batch.length) return 0;
    this.buffer = [];
    try {
      const entries = await Promise.all(batch.map((r) => this.entryOf(r)));
      return await auditLogRepository.append(this.db, entries);
    } catch (e) {
      this.buffer = [...batch, ...this.buffer];
      this.log.warn(`could not store ${batch.length} audit entries, will retry: ${(e as Error).message}`);
      return 0;
    }
  }

  private async entryOf(r: AuditedRequest & { id: string }): Promise<AuditEntry> {
    const principal = r.principal ?? (await this.principalOfKey(r));
    const { action, resourceType, idParam } = auditActionOf(r.method, r.route);
    const created = r.status < 300 && r.location ? r.location.split(/[?#]/)[0].split('/').pop() : undefined;
    const { partnerId, tenantId } = await this.ownerOf(principal, r);
    return {
      id: r.id,
      at: r.at,
      actorKind: principal?.kind ?? 'anonymous',
      actorKeyId: principal?.keyId ?? null,
      partnerId,
      tenantId,
      action,
      resourceType,
      resourceId: clean(idParam ? r.params[idParam] : created),
      method: r.method,
      route: r.route,
      requestId: r.requestId,
      sourceAddress: r.ip && isIP(r.ip) ? r.ip : null,
      outcome: auditOutcome(r.status),
      httpStatus: r.status,
      errorCode: r.errorCode ?? null,
    };
  }

  /**
   * Whose log an entry goes to. A tenant key's entries are its tenant's. Otherwise the tenant the request named
   * (path, `tenantId` query, or the Location of a created tenant) when the actor may reach it — the operator any,
   * a partner its own — with that tenant's partner; a tenant the actor may not reach is never told (the entry stays
   * the actor's: its partner, no tenant). The operator's entries outside a tenant are the operator's alone.
   */
  private async ownerOf(p: Actor | undefined, r: AuditedRequest): Promise<{ partnerId: string | null; tenantId: string | null }> {
    if (!p) return { partnerId: null, tenantId: null };
    if (p.kind === 'tenant') return { partnerId: p.partnerId, tenantId: p.tenantId };
    const named = [r.params.tenantId, r.queryTenantId, TENANT_LOCATION.exec(r.status < 300 ? (r.location ?? '') : '')?.[1]].find(isUuid);
    const partnerOfNamed = named ? await this.partnerOfTenant(named) : null;
    if (p.kind === 'partner') return { partnerId: p.partnerId, tenantId: partnerOfNamed === p.partnerId ? named! : null };
    return partnerOfNamed ? { partnerId: partnerOfNamed, tenantId: named! } : { partnerId: null, tenantId: null };
  }

  private async partnerOfTenant(tenantId: string): Promise<string | null> {
    const key = tenantId.toLowerCase();
    if (this.partnerOf.has(key)) return this.partnerOf.get(key)!;
    const partnerId = (await tenantRepository.partnerIdOf(this.db, key)) ?? null;
    if (this.partnerOf.size > CACHE_MAX) this.partnerOf.clear();
    // A missing tenant is not cached: it may be the one this very request is creating.
    if (partnerId) this.partnerOf.set(key, partnerId);
    return partnerId;
  }

  /** The actor of a request refused before the auth guard ran, from the guard's own key lookup (and its cache). */
  private async principalOfKey(r: AuditedRequest): Promise<Actor | undefined> {
    if (r.adminKey) return { kind: 'admin', keyId: 'admin' };
    if (!r.keyHash) return undefined;
    const found = await this.keys.byHash(r.keyHash);
    if (!found || found.kind === 'admin') return undefined;
    return found.kind === 'partner'
      ? { kind: 'partner', keyId: found.keyId, partnerId: found.partnerId }
      : { kind: 'tenant', keyId: found.keyId, partnerId: found.partnerId, tenantId: found.tenantId };
  }
}
