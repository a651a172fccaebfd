export { AvePointSandbox } from './avepoint.sandbox';
export * from './avepoint.fixtures';
