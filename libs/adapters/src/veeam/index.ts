export * from './veeam.adapter';
export * from './veeam.capabilities';
export * from './veeam.credentials';
