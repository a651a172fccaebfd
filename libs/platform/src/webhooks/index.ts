export * from './webhook-url';
export * from './webhook-secret';
export * from './webhook-endpoint.repository';
export * from './webhook-delivery.repository';
export * from './webhook.serializer';
