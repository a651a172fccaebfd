export * from './veeam.adapter';
export * from './veeam.capabilities';
export * from './veeam.credentials';
export type { VeeamRepositoryUsage } from './veeam.mapping';
