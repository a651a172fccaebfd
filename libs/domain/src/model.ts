/** What the last check of a connection's credentials at its vendor found. */
export type ConnectionHealth = 'unknown' | 'healthy' | 'unhealthy';

/** A point a protected item can be restored to, read back from the vendor (restore_points). */
export interface RestorePoint {
  id: string;
  tenantId: string;
  connectionId: string;
  protectedItemId: string;
  /** The vendor's id of the point. */
  vendorRef: string;
  pointInTime: Date;
  expiresAt: Date | null;
  tags: string[];
  createdAt: Date;
}
