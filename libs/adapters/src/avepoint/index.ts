export * from './avepoint.adapter';
export * from './avepoint.capabilities';
export * from './avepoint.credentials';
