export { GraphSandbox } from './graph.sandbox';
export * from './graph.fixtures';
