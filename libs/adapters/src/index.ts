export * from './port';
export * from './http';
export * from './registry';
