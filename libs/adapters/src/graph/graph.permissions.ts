/**
 * The Microsoft Graph application permissions the adapter needs in a customer tenant, and how `verify` checks
 * each without changing anything (SOURCE.md §Permissions; the Permissions section of each operation's docs page).
 * A ReadWrite permission also grants its Read, so the reads the adapter makes are covered by the writes checked.
 */
export interface GraphPermissionCheck {
  permission: string;
  /** What the adapter needs it for, for the message of a missing one. */
  usedFor: string;
  probe: 'root' | 'deletePolicy' | 'deleteRestoreSession' | 'searchRestorePoints';
}

export const GRAPH_PERMISSION_CHECKS: readonly GraphPermissionCheck[] = [
  // GET /solutions/backupRestore (backupRestoreRoot: get): BackupRestore-Control.Read.All.
  { permission: 'BackupRestore-Control.Read.All', usedFor: 'reading the Backup Storage service status', probe: 'root' },
  // Protection policies and units, create/update/delete/activate: BackupRestore-Configuration.ReadWrite.All. Probed by
  // DELETE of the nil policy id: 404 PolicyNotFound (seed 000 §Delete Inactive Protection Policy) when granted.
  {
    permission: 'BackupRestore-Configuration.ReadWrite.All',
    usedFor: 'protection policies and protected items',
    probe: 'deletePolicy',
  },
  // Restore sessions (and List restorePoints): BackupRestore-Restore.ReadWrite.All. Probed by DELETE of the nil
  // session id: 404 RestoreSessionNotFound (seed 000 §Delete Restore Session) when granted.
  { permission: 'BackupRestore-Restore.ReadWrite.All', usedFor: 'restores', probe: 'deleteRestoreSession' },
  // restorePoint: search: BackupRestore-Search.Read.All. Probed by a search for the nil unit id (no results).
  { permission: 'BackupRestore-Search.Read.All', usedFor: 'finding the newest restore point', probe: 'searchRestorePoints' },
];

/** The nil GUID: no policy, session or unit has it, so probes with it touch nothing. */
export const GRAPH_NIL_ID = '00000000-0000-0000-0000-000000000000';
