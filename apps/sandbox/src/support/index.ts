export * from './certificate';
export * from './faults';
export * from './scope';
export * from './vendor-sandbox';
