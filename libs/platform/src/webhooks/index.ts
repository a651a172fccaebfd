export * from './webhook-url';
export * from './webhook-secret';
export * from './webhook-endpoint.repository';
export * from './webhook-delivery.repository';
export * from './pending-webhook-fanout.repository';
export * from './webhook.serializer';
