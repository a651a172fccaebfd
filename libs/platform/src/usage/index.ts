export * from './usage-metrics';
export * from './usage-facts';
export * from './usage-rollup';
export * from './vendor-call-tally';
export * from './usage.repository';
export * from './usage.serializer';
