export { AzureDataProtectionAdapter, azureDataProtectionDescriptor } from './azure-dataprotection.adapter';
export { AZURE_DP_CAPABILITIES, AZURE_DP_LIMITS } from './azure-dataprotection.capabilities';
export { AZURE_DP_CREDENTIAL_FIELDS, AZURE_DP_DEFAULT_ENDPOINT } from './azure-dataprotection.credentials';
