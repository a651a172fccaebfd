export * from './backup-vendor.port';
export * from './port.types';
export * from './vendor-descriptor';
export * from './vendor-error';
