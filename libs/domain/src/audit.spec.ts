import { auditActionOf, auditOutcome } from './audit';

describe('auditActionOf', () => {
  it.each([
    ['POST', '/v1/tenants/:tenantId/restore-jobs', 'restore_job.create', 'restore_job', null],
    ['POST', '/v1/tenants/:tenantId/restore-jobs/:jobId/cancel', 'restore_job.cancel', 'restore_job', 'jobId'],
    ['PATCH', '/v1/tenants/:tenantId/policies/:policyId', 'policy.update', 'policy', 'policyId'],
    ['DELETE', '/v1/tenants/:tenantId/connections/:connectionId', 'connection.delete', 'connection', 'connectionId'],
    ['POST', '/v1/tenants/:tenantId/connections/:connectionId/verify', 'connection.verify', 'connection', 'connectionId'],
    ['POST', '/v1/tenants/:tenantId/policies/:policyId/rules', 'policy_rule.create', 'policy_rule', null],
    ['POST', '/v1/tenants/:tenantId/policies/:policyId/backup', 'policy.backup', 'policy', 'policyId'],
    ['POST', '/v1/tenants/:tenantId/webhooks/:webhookId/rotate-secret', 'webhook.rotate_secret', 'webhook', 'webhookId'],
    ['POST', '/v1/webhooks/:webhookId/deliveries/:deliveryId/retry', 'webhook_delivery.retry', 'webhook_delivery', 'deliveryId'],
    ['POST', '/v1/api-keys', 'api_key.create', 'api_key', null],
    ['DELETE', '/v1/api-keys/:keyId', 'api_key.delete', 'api_key', 'keyId'],
    ['POST', '/v1/tenants', 'tenant.create', 'tenant', null],
    ['DELETE', '/v1/tenants/:tenantId', 'tenant.delete', 'tenant', 'tenantId'],
    ['GET', '/v1/tenants/:tenantId/restore-jobs', 'restore_job.list', 'restore_job', null],
    ['GET', '/v1/tenants/:tenantId/restore-jobs/:jobId', 'restore_job.read', 'restore_job', 'jobId'],
    ['PUT', '/v1/tenants/:tenantId/rate-limits', 'tenant.rate_limits', 'tenant', 'tenantId'],
    ['GET', '/v1/audit-log', 'audit_log.list', 'audit_log', null],
  ])('%s %s is %s', (method, route, action, resourceType, idParam) => {
    expect(auditActionOf(method, route)).toEqual({ action, resourceType, idParam });
  });

  it('names a request that matched no route route.unmatched', () => {
    expect(auditActionOf('POST', undefined)).toEqual({ action: 'route.unmatched', resourceType: null, idParam: null });
  });

  it('maps statuses to outcomes', () => {
    expect([200, 202, 204, 400, 404, 429, 500, 503].map(auditOutcome)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
      'refused',
      'refused',
      'refused',
      'failed',
      'failed',
    ]);
  });
});
