/**
 * Deterministic resources every simulated Azure subscription starts with. Pure functions, exported so
 * tests can name the same things the sandbox holds.
 */

export const AZURE_FIXTURE = {
  /** Resource group holding the backup vault. */
  resourceGroup: 'rg-backup',
  /** The backup vault every subscription has (create more with PUT backupVaults/{name}). */
  vaultName: 'bv-sandbox',
  location: 'westus',
  /** Resource group of the storage accounts. */
  storageResourceGroup: 'rg-storage',
  storageAccountCount: 80,
  /** Containers in every fixture storage account. */
  containers: ['invoices', 'images', 'logs'],
  /** A storage account whose blobs the vault has no role on: validateForBackup fails (seed 004 §Track response). */
  noPermissionAccount: 'bgblobnoperm',
} as const;

/**
 * The resources seed 004's examples name, held by the subscription those examples use, so its requests
 * replay unchanged: vault testBkpVault in resource group TestBkpVaultRG (West US) and storage account
 * msblobbackup in RG-BlobBackup (seed 004 §Key entities). The blob policy is a prerequisite the client
 * creates (§Prerequisites).
 */
export const SEED_004_EXAMPLE = {
  subscriptionId: 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxxx',
  vaultResourceGroup: 'TestBkpVaultRG',
  vaultName: 'testBkpVault',
  storageResourceGroup: 'RG-BlobBackup',
  storageAccount: 'msblobbackup',
  location: 'westus',
} as const;

export const isSeed004Subscription = (subscriptionId: string): boolean => subscriptionId.toLowerCase() === SEED_004_EXAMPLE.subscriptionId;

export interface FixtureStorageAccount {
  id: string;
  name: string;
  location: string;
  containers: string[];
}

export function storageAccountId(subscriptionId: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${AZURE_FIXTURE.storageResourceGroup}/providers/Microsoft.Storage/storageAccounts/${name}`;
}

/**
 * The storage accounts of a subscription: bgblob01..bgblob80, then the one without permissions (and, in
 * seed 004's example subscription, its msblobbackup last).
 */
export function azureStorageAccounts(subscriptionId: string): FixtureStorageAccount[] {
  const names = Array.from({ length: AZURE_FIXTURE.storageAccountCount }, (_, i) => `bgblob${String(i + 1).padStart(2, '0')}`);
  names.push(AZURE_FIXTURE.noPermissionAccount);
  const accounts = names.map((name) => ({
    id: storageAccountId(subscriptionId, name),
    name,
    location: AZURE_FIXTURE.location,
    containers: [...AZURE_FIXTURE.containers],
  }));
  if (isSeed004Subscription(subscriptionId)) {
    const { storageResourceGroup, storageAccount, location } = SEED_004_EXAMPLE;
    accounts.push({
      id: `/subscriptions/${subscriptionId}/resourceGroups/${storageResourceGroup}/providers/Microsoft.Storage/storageAccounts/${storageAccount}`,
      name: storageAccount,
      location,
      containers: [...AZURE_FIXTURE.containers],
    });
  }
  return accounts;
}

export function vaultId(subscriptionId: string, resourceGroup: string, vaultName: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.DataProtection/backupVaults/${vaultName}`;
}
