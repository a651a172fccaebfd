import type { RestoreItemStatus } from '@bg/domain';
import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** TypeORM entities. The schema itself is defined by migrations (never synchronize). */

@Entity('partners')
export class PartnerEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') name!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

@Entity('tenants')
export class TenantEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'partner_id' }) partnerId!: string;
  @Column('text') name!: string;
  @Column('text', { name: 'external_ref', nullable: true }) externalRef!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

@Entity('api_keys')
export class ApiKeyEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') role!: 'partner' | 'tenant';
  @Column('uuid', { name: 'partner_id' }) partnerId!: string;
  @Column('uuid', { name: 'tenant_id', nullable: true }) tenantId!: string | null;
  @Column('text') name!: string;
  @Column('text') prefix!: string;
  @Column('text', { name: 'key_hash' }) keyHash!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column('timestamptz', { name: 'revoked_at', nullable: true }) revokedAt!: Date | null;
}

@Entity('error_catalog')
export class ErrorCatalogEntity {
  @PrimaryColumn('text') vendor!: string;
  @PrimaryColumn('text', { name: 'vendor_code' }) vendorCode!: string;
  @PrimaryColumn('int', { name: 'http_status' }) httpStatus!: number;
  @Column('text') code!: string;
  @Column('boolean') retryable!: boolean;
  @Column('text') message!: string;
}

@Entity('connections')
export class ConnectionEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('text') vendor!: string;
  @Column('text', { name: 'display_name' }) displayName!: string;
  @Column('text') endpoint!: string;
  @Column('jsonb', { name: 'public_credentials' }) publicCredentials!: Record<string, string>;
  @Column('bytea', { name: 'secret_ciphertext' }) secretCiphertext!: Buffer;
  @Column('bytea', { name: 'secret_wrapped_key' }) secretWrappedKey!: Buffer;
  @Column('text', { name: 'secret_key_id' }) secretKeyId!: string;
  @Column('int', { name: 'credentials_version' }) credentialsVersion!: number;
  @Column('text') health!: string;
  @Column('text', { name: 'health_detail', nullable: true }) healthDetail!: string | null;
  @Column('timestamptz', { name: 'last_verified_at', nullable: true }) lastVerifiedAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column('timestamptz', { name: 'deleted_at', nullable: true }) deletedAt!: Date | null;
}

@Entity('policies')
export class PolicyEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('uuid', { name: 'connection_id' }) connectionId!: string;
  @Column('text') vendor!: string;
  @Column('text') workload!: string;
  @Column('text', { name: 'display_name' }) displayName!: string;
  @Column('text') status!: string;
  @Column('boolean', { name: 'desired_active' }) desiredActive!: boolean;
  @Column('text', { name: 'vendor_ref', nullable: true }) vendorRef!: string | null;
  @Column('text', { name: 'vendor_status', nullable: true }) vendorStatus!: string | null;
  @Column('text', { name: 'error_code', nullable: true }) errorCode!: string | null;
  @Column('text', { name: 'error_message', nullable: true }) errorMessage!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity('protected_items')
export class ProtectedItemEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('uuid', { name: 'policy_id' }) policyId!: string;
  @Column('uuid', { name: 'connection_id' }) connectionId!: string;
  @Column('text') kind!: string;
  @Column('text', { name: 'external_id' }) externalId!: string;
  @Column('text', { name: 'display_name', nullable: true }) displayName!: string | null;
  @Column('text') status!: string;
  @Column('text', { name: 'vendor_ref', nullable: true }) vendorRef!: string | null;
  @Column('text', { name: 'vendor_status', nullable: true }) vendorStatus!: string | null;
  @Column('bigint', { name: 'size_bytes', nullable: true }) sizeBytes!: string | null;
  @Column('text', { name: 'error_code', nullable: true }) errorCode!: string | null;
  @Column('text', { name: 'error_message', nullable: true }) errorMessage!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity('restore_points')
export class RestorePointEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('uuid', { name: 'connection_id' }) connectionId!: string;
  @Column('uuid', { name: 'protected_item_id' }) protectedItemId!: string;
  @Column('text', { name: 'vendor_ref' }) vendorRef!: string;
  @Column('timestamptz', { name: 'point_in_time' }) pointInTime!: Date;
  @Column('timestamptz', { name: 'expires_at', nullable: true }) expiresAt!: Date | null;
  @Column('text', { array: true }) tags!: string[];
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

/** Stored per-item state of a restore job (JSON column `items`). */
export interface RestoreJobItemRecord {
  restorePointId: string;
  protectedItemId: string;
  externalId: string;
  restorePointRef: string;
  protectedItemRef: string;
  pointInTime: string;
  paths?: string[];
  status: RestoreItemStatus;
  vendorStatus?: string;
  errorCode?: string;
  vendorCode?: string;
  errorMessage?: string;
}

@Entity('restore_jobs')
export class RestoreJobEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('uuid', { name: 'connection_id' }) connectionId!: string;
  @Column('text') vendor!: string;
  @Column('text') workload!: string;
  @Column('text') destination!: string;
  @Column('jsonb', { nullable: true }) target!: Record<string, string> | null;
  @Column('text') status!: string;
  @Column('text', { name: 'status_reason', nullable: true }) statusReason!: string | null;
  @Column('jsonb') items!: RestoreJobItemRecord[];
  @Column('text', { name: 'vendor_ref', nullable: true }) vendorRef!: string | null;
  @Column('jsonb', { name: 'vendor_extra', nullable: true }) vendorExtra!: Record<string, string> | null;
  @Column('text', { name: 'vendor_status', nullable: true }) vendorStatus!: string | null;
  @Column('text', { name: 'submit_phase' }) submitPhase!: string;
  @Column('text', { name: 'error_code', nullable: true }) errorCode!: string | null;
  @Column('text', { name: 'error_message', nullable: true }) errorMessage!: string | null;
  @Column('jsonb', { name: 'error_detail', nullable: true }) errorDetail!: Record<string, unknown> | null;
  @Column('boolean', { name: 'cancel_requested' }) cancelRequested!: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column('timestamptz', { name: 'completed_at', nullable: true }) completedAt!: Date | null;
  @Column('timestamptz', { name: 'deadline_at' }) deadlineAt!: Date;
}

@Entity('restore_job_events')
export class RestoreJobEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column('uuid', { name: 'tenant_id' }) tenantId!: string;
  @Column('uuid', { name: 'restore_job_id' }) restoreJobId!: string;
  @Column('text') type!: string;
  @Column('text', { name: 'from_status', nullable: true }) fromStatus!: string | null;
  @Column('text', { name: 'to_status', nullable: true }) toStatus!: string | null;
  @Column('jsonb') detail!: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

export const ENTITIES = [
  PartnerEntity, TenantEntity, ApiKeyEntity, ErrorCatalogEntity, ConnectionEntity, PolicyEntity,
  ProtectedItemEntity, RestorePointEntity, RestoreJobEntity, RestoreJobEventEntity,
];
