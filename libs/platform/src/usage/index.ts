export * from './usage-metrics';
export * from './usage-facts';
export * from './usage-rollup';
export * from './vendor-call-tally';
