export * from './webhook-url';
export * from './webhook-secret';
export * from './webhook-deliveries';
