import { AVEPOINT_MESSAGES as M, invalidParameter, type ApiError } from './avepoint.errors';

/** A validated restore request (seed 001 §Body Parameters). */
export interface ValidRestoreRequest {
  serviceType: number;
  recoveryDateTime: Date;
  /** Site URL (serviceType 1, 3, 6) or OneDrive UPN (serviceType 2). */
  scopeKey: string;
  paths: Array<{ libraryName: string; relativePath: string; kind: 'file' | 'folder' }>;
}

const SERVICE_TYPES = [1, 2, 3, 6];
// seed 001 §recoveryDateTime: yyyy-MM-ddTHH:mm:ssZ or yyyy-MM-ddTHH:mm:ss.fffffffZ
const RECOVERY_FORMAT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{7})?Z$/;
// seed 001 §siteRestoreScope: across all restoreTargets at most 20 file and folder paths
export const MAX_PATHS = 20;

const TOP_FIELDS = ['serviceType', 'recoveryDateTime', 'siteRestoreScope', 'oneDriveRestoreScope'];
const SITE_FIELDS = ['siteUrl', 'restoreTargets'];
const ONEDRIVE_FIELDS = ['oneDriveUpn', 'restoreTargets'];
const TARGET_FIELDS = ['libraryName', 'files', 'folders'];
const PATH_FIELDS = ['relativePath'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isBlank = (v: unknown) => typeof v !== 'string' || v.trim() === '';
const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * Field names are matched exactly (camelCase, as in the docs). Unknown fields are refused: a
 * deliberate strictness of the simulator so a misspelt optional field in a client shows up in tests.
 */
function unknownFields(obj: Record<string, unknown>, allowed: string[], prefix: string, errors: ApiError[]): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) errors.push(invalidParameter(prefix ? `${prefix}.${pascal(k)}` : pascal(k), M.unknownField(k)));
  }
}

function normalizePath(p: string): string {
  return p
    .trim()
    .replace(/\\/g, '/')
    .replace(/^\/+|\/+$/g, '');
}

/** True when `parent` is a proper ancestor of `child` (SharePoint paths compare case-insensitively). */
export function isAncestor(parent: string, child: string): boolean {
  const a = parent.toLowerCase();
  const b = child.toLowerCase();
  return b.startsWith(`${a}/`);
}

/** Validates a POST /backup/m365/restore/jobs body; returns field errors or the parsed request. */
export function validateRestoreRequest(body: unknown): { errors: ApiError[] } | { request: ValidRestoreRequest } {
  const errors: ApiError[] = [];
  if (!isObject(body)) return { errors: [invalidParameter('Request', M.mustNotBeEmpty('Request'))] };
  unknownFields(body, TOP_FIELDS, '', errors);

  const st = body.serviceType;
  if (st === undefined || st === null) errors.push(invalidParameter('ServiceType', M.mustNotBeEmpty('Service Type')));
  else if (typeof st !== 'number' || !Number.isInteger(st) || !SERVICE_TYPES.includes(st))
    errors.push(invalidParameter('ServiceType', M.invalidValue('Service Type')));

  let recovery: Date | undefined;
  const rdt = body.recoveryDateTime;
  if (isBlank(rdt)) errors.push(invalidParameter('RecoveryDateTime', M.mustNotBeEmpty('Recovery Date Time')));
  else if (!RECOVERY_FORMAT.test(rdt as string) || Number.isNaN(Date.parse(rdt as string)))
    errors.push(invalidParameter('RecoveryDateTime', M.recoveryFormat));
  else recovery = new Date(rdt as string);

  // seed 001 §Note: the scope object that matches serviceType is used; the other is ignored.
  const oneDrive = st === 2;
  const scopeName = oneDrive ? 'oneDriveRestoreScope' : 'siteRestoreScope';
  const field = pascal(scopeName);
  const scope = body[scopeName];
  let scopeKey = '';
  const paths: ValidRestoreRequest['paths'] = [];
  if (typeof st === 'number' && SERVICE_TYPES.includes(st)) {
    if (!isObject(scope)) {
      errors.push(invalidParameter(field, M.mustNotBeEmpty(oneDrive ? 'One Drive Restore Scope' : 'Site Restore Scope')));
    } else {
      unknownFields(scope, oneDrive ? ONEDRIVE_FIELDS : SITE_FIELDS, field, errors);
      const keyName = oneDrive ? 'oneDriveUpn' : 'siteUrl';
      if (isBlank(scope[keyName]))
        errors.push(invalidParameter(`${field}.${pascal(keyName)}`, M.mustNotBeEmpty(oneDrive ? 'One Drive Upn' : 'Site Url')));
      else scopeKey = (scope[keyName] as string).trim();
      collectTargets(scope.restoreTargets, field, paths, errors);
    }
  }
  if (errors.length === 0) checkPathRules(paths, field, errors);
  if (errors.length) return { errors };
  return { request: { serviceType: st as number, recoveryDateTime: recovery!, scopeKey, paths } };
}

function collectTargets(targets: unknown, field: string, paths: ValidRestoreRequest['paths'], errors: ApiError[]): void {
  const tf = `${field}.RestoreTargets`;
  if (!Array.isArray(targets) || targets.length === 0) {
    errors.push(invalidParameter(tf, M.mustNotBeEmpty('Restore Targets')));
    return;
  }
  targets.forEach((t, i) => {
    const at = `${tf}[${i}]`;
    if (!isObject(t)) {
      errors.push(invalidParameter(at, M.mustNotBeEmpty('Restore Target')));
      return;
    }
    unknownFields(t, TARGET_FIELDS, at, errors);
    if (isBlank(t.libraryName)) errors.push(invalidParameter(`${at}.LibraryName`, M.mustNotBeEmpty('Library Name')));
    const files = t.files ?? [];
    const folders = t.folders ?? [];
    if (!Array.isArray(files) || !Array.isArray(folders)) {
      errors.push(invalidParameter(at, M.invalidValue('Restore Target')));
      return;
    }
    if (files.length === 0 && folders.length === 0) errors.push(invalidParameter(at, M.filesOrFolders));
    for (const [kind, list] of [
      ['file', files],
      ['folder', folders],
    ] as const) {
      list.forEach((p: unknown, j: number) => {
        const pf = `${at}.${kind === 'file' ? 'Files' : 'Folders'}[${j}]`;
        if (!isObject(p)) {
          errors.push(invalidParameter(pf, M.mustNotBeEmpty('Relative Path')));
          return;
        }
        unknownFields(p, PATH_FIELDS, pf, errors);
        // seed 001 §files/folders: empty relativePath values are not allowed
        if (isBlank(p.relativePath) || normalizePath(p.relativePath as string) === '') {
          errors.push(invalidParameter(`${pf}.RelativePath`, M.mustNotBeEmpty('Relative Path')));
          return;
        }
        paths.push({ libraryName: String(t.libraryName ?? '').trim(), relativePath: normalizePath(p.relativePath as string), kind });
      });
    }
  });
}

function checkPathRules(paths: ValidRestoreRequest['paths'], field: string, errors: ApiError[]): void {
  const tf = `${field}.RestoreTargets`;
  // seed 001 §siteRestoreScope: the total number of file and folder paths cannot exceed 20
  if (paths.length > MAX_PATHS) {
    errors.push(invalidParameter(tf, M.tooManyPaths));
    return;
  }
  // seed 001 §siteRestoreScope: parent and child paths cannot be included in the same request
  for (const a of paths) {
    for (const b of paths) {
      if (a !== b && a.libraryName.toLowerCase() === b.libraryName.toLowerCase() && isAncestor(a.relativePath, b.relativePath)) {
        errors.push(invalidParameter(tf, M.parentAndChild(`${a.libraryName}/${a.relativePath}`, `${b.libraryName}/${b.relativePath}`)));
        return;
      }
    }
  }
}
