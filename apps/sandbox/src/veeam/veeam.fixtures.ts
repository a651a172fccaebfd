import { createHash } from 'node:crypto';

/**
 * Deterministic content of one simulated Veeam Backup for Microsoft 365 server (a sandbox scope, keyed
 * by the user name or client id that logged in). Pure functions of the server key, exported so tests
 * can name real users, sites, repositories and documents.
 */

/** The one password the simulated server accepts for a user name (grant_type=password). */
export function veeamSandboxPassword(userName: string): string {
  return `sandbox-password-${userName}`;
}

/** The one assertion the simulated server accepts for a client id (grant_type=jwt-bearer). */
export function veeamSandboxAssertion(clientId: string): string {
  return `sandbox-assertion-${clientId}`;
}

/** A stable uuid derived from a string, so fixture ids never change between runs. */
export function fixtureUuid(seed: string): string {
  const h = createHash('sha1').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function serverSlug(serverKey: string): string {
  return (
    serverKey
      .toLowerCase()
      .replace(/[^a-z0-9]/g, '')
      .slice(0, 24) || 'contoso'
  );
}

const pad = (n: number) => String(n).padStart(2, '0');

export interface FixtureOrganization {
  id: string;
  name: string;
  officeName: string;
}

export interface FixtureUser {
  id: string;
  displayName: string;
  /** The UPN (RESTUser.name). */
  name: string;
}

export interface FixtureSite {
  id: string;
  url: string;
  title: string;
  name: string;
}

export interface FixtureTeam {
  id: string;
  displayName: string;
  mail: string;
}

export interface FixtureRepository {
  id: string;
  name: string;
  path: string;
  isLongTerm: boolean;
}

/** The id of the simulated server's one backup proxy (repositories are mapped to a proxy, seed 002 §Add Backup Repository). */
export function veeamFixtureProxyId(serverKey: string): string {
  return fixtureUuid(`${serverKey}|proxy|1`);
}

export function veeamFixtureOrganization(serverKey: string): FixtureOrganization {
  const slug = serverSlug(serverKey);
  return { id: fixtureUuid(`${serverKey}|org`), name: `${slug}.onmicrosoft.com`, officeName: slug };
}

export function veeamFixtureRepositories(serverKey: string): FixtureRepository[] {
  return [
    { id: fixtureUuid(`${serverKey}|repo|1`), name: 'Default Backup Repository', path: 'C:\\VeeamRepository', isLongTerm: false },
    { id: fixtureUuid(`${serverKey}|repo|2`), name: 'Object Storage Repository', path: '', isLongTerm: false },
    { id: fixtureUuid(`${serverKey}|repo|3`), name: 'Archive Repository', path: '', isLongTerm: true },
  ];
}

export function veeamFixtureUsers(serverKey: string, count = 60): FixtureUser[] {
  const slug = serverSlug(serverKey);
  return Array.from({ length: count }, (_, i) => ({
    id: fixtureUuid(`${serverKey}|user|${i + 1}`),
    displayName: `User ${pad(i + 1)}`,
    name: `user${pad(i + 1)}@${slug}.onmicrosoft.com`,
  }));
}

export function veeamFixtureSites(serverKey: string, count = 60): FixtureSite[] {
  const slug = serverSlug(serverKey);
  return Array.from({ length: count }, (_, i) => ({
    id: fixtureUuid(`${serverKey}|site|${i + 1}`),
    url: `https://${slug}.sharepoint.com/sites/Site${pad(i + 1)}`,
    title: `Site ${pad(i + 1)}`,
    name: `Site${pad(i + 1)}`,
  }));
}

export function veeamFixtureTeams(serverKey: string, count = 5): FixtureTeam[] {
  const slug = serverSlug(serverKey);
  return Array.from({ length: count }, (_, i) => ({
    id: fixtureUuid(`${serverKey}|team|${i + 1}`),
    displayName: `Team ${pad(i + 1)}`,
    mail: `team${pad(i + 1)}@${slug}.onmicrosoft.com`,
  }));
}

/** The OneDrive URL of a user (how SharePoint names personal sites: UPN with '.' and '@' as '_'). */
export function oneDriveUrl(serverKey: string, upn: string): string {
  return `https://${serverSlug(serverKey)}-my.sharepoint.com/personal/${upn.replace(/[.@]/g, '_')}`;
}

/** Folders in every backed-up site library and OneDrive (paths from the library root). */
export const FIXTURE_FOLDERS = ['Documents', 'Documents/Reports', 'Documents/Projects'] as const;

/** Documents in every backed-up site library and OneDrive. */
export const FIXTURE_DOCUMENTS = [
  { path: 'Documents/Budget.xlsx', sizeBytes: 48_213 },
  { path: 'Documents/Reports/Q1.xlsx', sizeBytes: 20_480 },
  { path: 'Documents/Reports/Q2.xlsx', sizeBytes: 22_528 },
  { path: 'Documents/Projects/plan.docx', sizeBytes: 65_536 },
] as const;

/** Mailbox folders of every backed-up mailbox. */
export const FIXTURE_MAIL_FOLDERS = ['Inbox', 'Sent Items', 'Calendar', 'Contacts'] as const;

/** Size the simulator reports for a whole restored site, OneDrive or mailbox. */
export const FIXTURE_ITEM_SIZE_BYTES = 1_048_576;
