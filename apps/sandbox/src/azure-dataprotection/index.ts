export { AzureDataProtectionSandbox } from './azure.sandbox';
export * from './azure.fixtures';
