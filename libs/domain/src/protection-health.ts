import type { BackupRunStatus } from './backup-run';
import { oneOf } from './state-machine';
import type { ProtectedItemStatus } from './protected-item';

/**
 * Is a protected item actually being backed up? Judged against its policy's recovery point objective (RPO):
 *   healthy      the newest successful backup (run end or restore point) is within the RPO;
 *   atRisk       it is older than the RPO, or there has been none since protection started longer ago than
 *                the RPO, or the last run finished with warnings;
 *   failed       the vendor refused the item, or its last backup run failed;
 *   unprotected  the item is being removed, its policy is inactive, or the vendor no longer protects it;
 *   unknown      nothing is known yet (just added, first backup not due yet).
 */
export const PROTECTION_STATES = ['healthy', 'atRisk', 'failed', 'unprotected', 'unknown'] as const;
export type ProtectionState = (typeof PROTECTION_STATES)[number];

/** States that are a problem an MSP acts on (a ticket, an alarm). */
export const PROBLEM_PROTECTION_STATES = ['atRisk', 'failed'] as const satisfies readonly ProtectionState[];

export function isProtectionState(value: unknown): value is ProtectionState {
  return typeof value === 'string' && oneOf(PROTECTION_STATES, value);
}

export function isProtectionProblem(state: ProtectionState): boolean {
  return oneOf(PROBLEM_PROTECTION_STATES, state);
}

/** What the judgement reads of one item. */
export interface ProtectionFacts {
  itemStatus: ProtectedItemStatus;
  /** The item's policy is active (schedules run). */
  policyActive: boolean;
  /** The vendor reports the item no longer protected (unprotect requested, offboarded). */
  vendorUnprotected: boolean;
  /** The vendor's message of a refused item. */
  itemError: string | null;
  lastRunStatus: BackupRunStatus | null;
  lastRunError: string | null;
  lastSuccessfulBackupAt: Date | null;
  latestRestorePointAt: Date | null;
  /** When protection started (the item was added). */
  protectedSince: Date;
  rpoMinutes: number;
  now: Date;
}

export interface ProtectionJudgement {
  state: ProtectionState;
  reason: string;
}

const MINUTE = 60_000;

function minutesAgo(now: Date, at: Date): number {
  return Math.floor((now.getTime() - at.getTime()) / MINUTE);
}

/** Reasons name times, not ages, so a judgement of unchanged facts gives the same text (and writes nothing). */
const at = (d: Date) => d.toISOString();

/** The newest evidence of a successful backup: a successful run's end, or the newest restore point. */
export function lastProtectedAt(f: Pick<ProtectionFacts, 'lastSuccessfulBackupAt' | 'latestRestorePointAt'>): Date | null {
  const times = [f.lastSuccessfulBackupAt, f.latestRestorePointAt].filter((d): d is Date => d !== null);
  return times.length ? new Date(Math.max(...times.map((d) => d.getTime()))) : null;
}

/** The protection state of one item and why (the reason is for humans: tickets, the portal). */
export function judgeProtection(f: ProtectionFacts): ProtectionJudgement {
  if (f.itemStatus === 'removing' || f.itemStatus === 'removed') return { state: 'unprotected', reason: 'removed from its policy' };
  if (f.itemStatus === 'failed') return { state: 'failed', reason: `the vendor refused the item: ${f.itemError ?? 'no detail'}` };
  if (f.vendorUnprotected) return { state: 'unprotected', reason: 'the vendor no longer protects the item' };
  if (!f.policyActive) return { state: 'unprotected', reason: 'its policy is inactive' };
  if (f.lastRunStatus === 'failed') return { state: 'failed', reason: `the last backup run failed: ${f.lastRunError ?? 'no detail'}` };
  const last = lastProtectedAt(f);
  const rpo = `the RPO of ${f.rpoMinutes} min`;
  if (last === null) {
    if (f.itemStatus === 'pending') return { state: 'unknown', reason: 'not yet protected at the vendor' };
    return minutesAgo(f.now, f.protectedSince) > f.rpoMinutes
      ? { state: 'atRisk', reason: `no successful backup since protection started at ${at(f.protectedSince)}, beyond ${rpo}` }
      : { state: 'unknown', reason: 'no backup yet; the first is not due' };
  }
  if (minutesAgo(f.now, last) > f.rpoMinutes)
    return { state: 'atRisk', reason: `the last successful backup, at ${at(last)}, is older than ${rpo}` };
  if (f.lastRunStatus === 'warning')
    return { state: 'atRisk', reason: `the last backup run finished with warnings: ${f.lastRunError ?? 'no detail'}` };
  return { state: 'healthy', reason: `last successful backup at ${at(last)}, within ${rpo}` };
}

/**
 * A policy's health, derived from its live items' states: failed if any item failed, atRisk if any is at risk,
 * unprotected when the policy is inactive or every item is, healthy when every item is healthy, otherwise unknown.
 */
export function policyHealth(counts: Partial<Record<ProtectionState, number>>, policyActive: boolean): ProtectionState {
  const n = (s: ProtectionState) => counts[s] ?? 0;
  if (n('failed') > 0) return 'failed';
  if (n('atRisk') > 0) return 'atRisk';
  if (!policyActive) return 'unprotected';
  const total = PROTECTION_STATES.reduce((sum, s) => sum + n(s), 0);
  if (total > 0 && n('unprotected') === total) return 'unprotected';
  if (total > 0 && n('healthy') + n('unprotected') === total && n('healthy') > 0) return 'healthy';
  return 'unknown';
}
