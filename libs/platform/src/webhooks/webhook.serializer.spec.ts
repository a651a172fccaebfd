import { webhookAttemptFromRow, webhookDeliveryFromRow, type WebhookDeliveryRow } from './webhook-delivery.repository';
import { webhookEndpointFromRow, type WebhookEndpointRow } from './webhook-endpoint.repository';
import { toWebhookAttemptResource, toWebhookDeliveryResource, toWebhookResource } from './webhook.serializer';

const endpointRow: WebhookEndpointRow = {
  id: 'e1',
  partner_id: 'p1',
  tenant_id: null,
  url: 'https://example.com/hook',
  description: null,
  event_types: ['restore_job.*'],
  enabled: false,
  disabled_reason: 'the endpoint answered 410 Gone',
  failing_since: '2025-03-01T10:00:00.000Z',
  previous_secret_expires_at: '2025-03-02T00:00:00.000Z',
  active_since: '2025-03-01T00:00:00.000Z',
  created_at: new Date('2025-03-01T00:00:00.000Z'),
  updated_at: '2025-03-01T10:00:00.000Z',
  deleted_at: null,
};

const deliveryRow: WebhookDeliveryRow = {
  id: 'd1',
  partner_id: 'p1',
  tenant_id: 't1',
  endpoint_id: 'e1',
  kind: 'event',
  event_id: 'ev1',
  event_type: 'restore_job.queued',
  resource_id: 'r1',
  message_id: 'ev1',
  payload: null,
  status: 'failed',
  attempt_count: 8,
  schedule_step: 8,
  schedule_seq: 8,
  scheduled_job_id: null,
  next_attempt_at: '2025-03-01T12:00:00.000Z',
  last_status_code: 503,
  last_error: 'HTTP 503',
  created_at: '2025-03-01T00:00:00.000Z',
  updated_at: '2025-03-01T12:00:00.000Z',
  completed_at: '2025-03-01T12:00:00.000Z',
};

describe('webhook mappers and serializers', () => {
  it('maps an endpoint row, ISO-string timestamps included, to the domain with Dates', () => {
    const e = webhookEndpointFromRow(endpointRow);
    expect(e).toMatchObject({ id: 'e1', partnerId: 'p1', tenantId: null, eventTypes: ['restore_job.*'], enabled: false, deletedAt: null });
    expect([e.failingSince, e.previousSecretExpiresAt, e.activeSince, e.createdAt, e.updatedAt].every((d) => d instanceof Date)).toBe(true);
    expect(e.failingSince?.toISOString()).toBe('2025-03-01T10:00:00.000Z');
  });

  it('shows previousSecretExpiresAt only while the overlap lasts, and never a secret', () => {
    const e = webhookEndpointFromRow(endpointRow);
    const during = toWebhookResource(e, new Date('2025-03-01T23:59:59.000Z'));
    expect(Object.keys(during)).toEqual([
      'id',
      'tenantId',
      'url',
      'description',
      'eventTypes',
      'enabled',
      'disabledReason',
      'failingSince',
      'previousSecretExpiresAt',
      'createdAt',
      'updatedAt',
    ]);
    expect(during.previousSecretExpiresAt?.toISOString()).toBe('2025-03-02T00:00:00.000Z');
    expect(toWebhookResource(e, new Date('2025-03-02T00:00:00.000Z')).previousSecretExpiresAt).toBeNull();
  });

  it('hides nextAttemptAt of a finished delivery and keeps it for a pending one', () => {
    const failed = toWebhookDeliveryResource(webhookDeliveryFromRow(deliveryRow));
    expect(failed).toMatchObject({
      id: 'd1',
      webhookId: 'e1',
      kind: 'event',
      messageId: 'ev1',
      status: 'failed',
      attemptCount: 8,
      nextAttemptAt: null,
      lastStatusCode: 503,
    });
    const pending = toWebhookDeliveryResource(webhookDeliveryFromRow({ ...deliveryRow, status: 'pending', completed_at: null }));
    expect(pending.nextAttemptAt?.toISOString()).toBe('2025-03-01T12:00:00.000Z');
    expect(pending.completedAt).toBeNull();
  });

  it('maps an attempt (bigserial id as a string)', () => {
    const a = webhookAttemptFromRow({
      id: '42',
      delivery_id: 'd1',
      partner_id: 'p1',
      tenant_id: null,
      attempt: 1,
      url: 'https://example.com/hook',
      status_code: null,
      duration_ms: 15000,
      error: 'timed out after 15000 ms',
      response_excerpt: null,
      attempted_at: '2025-03-01T00:00:00.000Z',
    });
    expect(toWebhookAttemptResource(a)).toEqual({
      attempt: 1,
      url: 'https://example.com/hook',
      statusCode: null,
      durationMs: 15000,
      error: 'timed out after 15000 ms',
      responseExcerpt: null,
      attemptedAt: new Date('2025-03-01T00:00:00.000Z'),
    });
  });
});
