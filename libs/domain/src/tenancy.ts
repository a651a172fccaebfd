import type { ApiScope, RateLimits } from './api-scopes';

/** A partner (MSP): owns tenants and partner API keys. `deleted` once DELETE /v1/partners/{id} offboarded it. */
export interface Partner {
  id: string;
  name: string;
  /** The operator's override of the configured rate limits for this partner's keys and tenants. */
  rateLimits: RateLimits;
  status: PartnerStatus;
  createdAt: Date;
  deletedAt: Date | null;
}

export const PARTNER_STATUSES = ['active', 'deleted'] as const;
export type PartnerStatus = (typeof PARTNER_STATUSES)[number];

/**
 * A tenant's life: `active`; `offboarding` from DELETE /v1/tenants/{id} (writes refused, keys revoked, jobs being
 * drained, vendor objects being removed if asked); `deleted` once that is done (its data purged after the retention).
 */
export const TENANT_STATUSES = ['active', 'offboarding', 'deleted'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

/** What offboarding does with the tenant's objects at its vendors: leave them (default) or delete them. */
export const VENDOR_OBJECTS_OPTIONS = ['keep', 'remove'] as const;
export type VendorObjectsOption = (typeof VENDOR_OBJECTS_OPTIONS)[number];

/** A customer tenant of one partner. The partner never changes. */
export interface Tenant {
  id: string;
  partnerId: string;
  name: string;
  /** The partner's own reference for the customer, if it gave one. */
  externalRef: string | null;
  status: TenantStatus;
  /** Offboarding: what was asked for vendor objects, when it started, when it ended, when the data is purged. */
  vendorObjects: VendorObjectsOption | null;
  offboardingAt: Date | null;
  deletedAt: Date | null;
  purgeAfter: Date | null;
  purgedAt: Date | null;
  createdAt: Date;
}

export const API_KEY_ROLES = ['partner', 'tenant'] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

/**
 * Who an API key speaks for: a partner key reaches every tenant of its partner, a tenant key one
 * tenant (of its partner). `tenantId` is set exactly for tenant keys.
 */
export type ApiKeyScope = { role: 'partner'; partnerId: string; tenantId: null } | { role: 'tenant'; partnerId: string; tenantId: string };

/** What authentication needs of a key: its id, whom it speaks for, what it may do and until when. */
export type ApiKeyIdentity = ApiKeyScope & {
  id: string;
  scopes: ApiScope[];
  /** The key answers 401 after this instant; null = never expires. */
  expiresAt: Date | null;
};

/**
 * An API key as stored. The key itself is shown once at creation and never kept; only its SHA-256
 * (not part of this type) and its display prefix are.
 */
export type ApiKey = ApiKeyIdentity & {
  name: string;
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
  /** When the key last authenticated a request, to the minute (recorded at most once a minute). */
  lastUsedAt: Date | null;
};
