/**
 * Deterministic content of one simulated AvePoint tenant (a sandbox scope). Pure functions of the
 * tenant key and the sandbox clock, exported so tests can name real sites, OneDrives and paths.
 */

/** serviceType values the restore API accepts (seed 001 §Body Parameters; m365 overview §serviceType). */
export const AVEPOINT_SERVICE_TYPES = { sharePoint: 1, oneDrive: 2, groups: 3, teams: 6 } as const;

/** jobList objectType for a restore serviceType (list-jobs.md §objectType). */
export const OBJECT_TYPE_OF_SERVICE: Record<number, number> = { 1: 2, 2: 3, 3: 4, 6: 7 };

/** Permissions of Cloud Backup for Microsoft 365 (register-app.md §Services and Permissions). */
export const AVEPOINT_PERMISSIONS = [
  'microsoft365backup.jobInfo.read.all',
  'microsoft365backup.restore.readwrite.all',
  'microsoft365backup.subscriptionInfo.read.all',
  'microsoft365backup.settings.read.all',
  'microsoft365backup.unusualActivity.read.all',
] as const;

/** Multi-Geo `location` values (m365 overview §Parameter: location). */
export const AVEPOINT_LOCATIONS = [
  'PrimaryGeoLocation',
  'NAM',
  'EUR',
  'GBR',
  'JPN',
  'APC',
  'AUS',
  'CAN',
  'IND',
  'FRA',
  'ARE',
  'ZAF',
  'CHE',
  'KOR',
  'DEU',
  'BRA',
  'NOR',
  'SWE',
  'QAT',
  'POL',
  'ITA',
  'ISR',
  'MEX',
  'NZL',
  'ESP',
  'TWN',
] as const;

export interface FixtureScope {
  /** Site URL or OneDrive UPN. */
  key: string;
  serviceType: number;
  /** Geo location of the item in a Multi-Geo tenant (index-based over the configured geos). */
  geoIndex: number;
}

/** The one client secret the simulated identity service accepts for a client id. */
export function avepointSandboxSecret(clientId: string): string {
  return `sandbox-secret-${clientId}`;
}

export function tenantSlug(tenantKey: string): string {
  return (
    tenantKey
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .slice(0, 24) || 'contoso'
  );
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Site collections (SharePoint, M365 Group and Teams sites) and OneDrives of a tenant. */
export function avepointFixtureScopes(tenantKey: string): FixtureScope[] {
  const slug = tenantSlug(tenantKey);
  // The docs' own sample scopes (seed 001 §Request Sample), so the samples work verbatim for tenant "contoso".
  const out: FixtureScope[] = [
    { key: `https://${slug}.sharepoint.com/sites/Finance`, serviceType: 1, geoIndex: 0 },
    { key: `alexw@${slug}.onmicrosoft.com`, serviceType: 2, geoIndex: 0 },
  ];
  for (let i = 1; i <= 10; i++) out.push({ key: `https://${slug}.sharepoint.com/sites/Site${pad(i)}`, serviceType: 1, geoIndex: i - 1 });
  for (let i = 1; i <= 3; i++) out.push({ key: `https://${slug}.sharepoint.com/sites/Group${pad(i)}`, serviceType: 3, geoIndex: i - 1 });
  for (let i = 1; i <= 3; i++) out.push({ key: `https://${slug}.sharepoint.com/sites/Team${pad(i)}`, serviceType: 6, geoIndex: i - 1 });
  for (let i = 1; i <= 10; i++) out.push({ key: `user${pad(i)}@${slug}.onmicrosoft.com`, serviceType: 2, geoIndex: i - 1 });
  return out;
}

/** Libraries present in every site / OneDrive. */
export const FIXTURE_LIBRARIES = ['Documents', 'Site Assets'] as const;

/** Folders inside each library (relative paths). */
export const FIXTURE_FOLDERS = ['Shared', 'Shared/Reports', 'Shared/Reports/2026', 'Projects', 'Projects/Alpha', 'Projects/Beta', 'Bulk'];

/** Files inside each library (relative paths). */
export const FIXTURE_FILES = [
  'Shared/Budget.xlsx',
  'Shared/Reports/2026/Q1.xlsx',
  'Projects/Alpha/plan.docx',
  'Projects/Beta/spec.docx',
  ...Array.from({ length: 30 }, (_, i) => `Bulk/file${pad(i + 1)}.txt`),
];

export function fixturePathExists(libraryName: string, relativePath: string, kind: 'file' | 'folder'): boolean {
  if (!FIXTURE_LIBRARIES.some((l) => l.toLowerCase() === libraryName.toLowerCase())) return false;
  const list = kind === 'file' ? FIXTURE_FILES : FIXTURE_FOLDERS;
  const p = relativePath.replace(/^\/+|\/+$/g, '').toLowerCase();
  return list.some((x) => x.toLowerCase() === p);
}

/**
 * Objects a restore of one path covers (retrieve-job-details.md §Job details: totalNumber is the "Total
 * count of objects", sample 16, not a count of paths): a file is one object, a folder is itself plus
 * every folder and file below it. A path not in the backup counts as the one object that failed.
 */
export function fixtureObjectCount(libraryName: string, relativePath: string, kind: 'file' | 'folder'): number {
  if (kind === 'file' || !fixturePathExists(libraryName, relativePath, kind)) return 1;
  const prefix = `${relativePath.replace(/^\/+|\/+$/g, '').toLowerCase()}/`;
  const below = [...FIXTURE_FOLDERS, ...FIXTURE_FILES].filter((x) => x.toLowerCase().startsWith(prefix));
  return 1 + below.length;
}
