export * from './retry-after';
export * from './status-fallback';
export * from './vendor-http';
export * from './entra-token';
export * from './abort';
