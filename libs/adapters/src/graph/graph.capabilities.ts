import type { Capabilities } from '@bg/domain';

/** Graph Backup Storage's documented limits, as data; each cites the seed it comes from. */
export const GRAPH_LIMITS = {
  // seed 000 §Create ProtectionPolicy API Errors: "Number Of Protection Units In Each Request Must Not Exceed 50" (413)
  protectionUnitsPerRequest: 50,
  // seed 000 §Patch Restore Session API Errors: "Exceeded maximum artifacts limit of 50 for single request"
  restoreArtifactsPerSession: 50,
  // seed 000 §Activate Restore Session API Errors: TooManyActiveRestoreSessions, "more than 25 sessions simultaneously"
  activeRestoreSessions: 25,
  // seed 000 §Create ProtectionPolicy API Errors: PolicyCreationNotAllowed, one active policy per service
  activePoliciesPerService: 1,
  // seed 000 §Create ProtectionPolicy API Errors: InvalidDisplayName, "> 0 chars And <= 1024 chars"
  displayNameMaxLength: 1024,
  // Graph docs, List restorePoints: "This API returns a maximum of five restorePoint objects" (no nextLink)
  restorePointsPerList: 5,
} as const;

export const GRAPH_CAPABILITIES: Capabilities = {
  vendor: 'graph',
  displayName: 'Microsoft 365 Backup Storage (Microsoft Graph)',
  operations: [
    'policy.create',
    'policy.update',
    'policy.delete',
    'policy.activate',
    'policy.deactivate',
    'protectedItem.add',
    'protectedItem.remove',
    'restorePoint.list',
    'restoreJob.create',
    'restoreJob.cancel',
    'policyRule.create',
    'policyRule.delete',
  ],
  workloads: ['sharepoint', 'onedrive', 'exchange'],
  restoreGranularity: ['wholeItem'],
  destinations: ['original', 'new'],
  limits: {
    protectedItemsPerRequest: GRAPH_LIMITS.protectionUnitsPerRequest,
    restoreItemsPerJob: GRAPH_LIMITS.restoreArtifactsPerSession,
    concurrentRestoreJobs: GRAPH_LIMITS.activeRestoreSessions,
    oneRestorePerItem: true,
    activePoliciesPerWorkload: GRAPH_LIMITS.activePoliciesPerService,
  },
  health: {
    backupRuns: 'none',
    onDemandBackup: 'none',
    defaultRpoMinutes: 26 * 60,
    notes: [
      "Graph Backup Storage reports no backup runs (no job or session resource for backups in seed 000 or the v1.0 API): protection health comes from the protection unit status and error (seed 000 §Get Protection unit; unprotectRequested, unprotected, removeRequested, offboardRequested and offboarded read as unprotected) and from the recency of the unit's newest restore point.",
      "Graph has no on-demand backup: backups follow the policy's retention schedule (seed 000 §Create ProtectionPolicy retentionSettings), so POST .../backup answers 422 UNSUPPORTED_BY_VENDOR.",
      'defaultRpoMinutes 1560 (26 h): a daily backup plus two hours of slack; set rpoMinutes on the policy for a tighter objective.',
    ],
  },
  notes: [
    'seed 000 §Create ProtectionPolicy: at most 50 protection units per request (ProtectionUnitsLimitBreached, 413); larger policies are created with 50 units and grown by PATCH <units>@delta batches of 50.',
    'seed 000 §Create ProtectionPolicy: one active protection policy per service (PolicyCreationNotAllowed, 409) -> CONFLICT.',
    'seed 000 §Create/Patch Restore Session: at most 50 restore artifacts per session (RestoreArtifactsLimitBreached) -> LIMIT_EXCEEDED before any call.',
    'seed 000 §Activate Restore Session: at most 25 active restore sessions (TooManyActiveRestoreSessions, 500) -> CONCURRENCY_LIMIT, retryable.',
    'seed 000 §List Restore Artifacts under a Restore Session API Errors: an artifact already being restored is refused (DuplicateArtifactRestoreRequest: "Please wait till its completion and try again") -> the worker keeps a second restore of the same item queued until the first ends (oneRestorePerItem); an artifact refused so anyway (a restore started outside the gateway) is restored again later (retryable per-item refusal), up to 3 times.',
    'seed 000 §Delete Restore Session: only a draft restore session can be deleted (RestoreSessionActionNotAllowed, 403); Graph cannot stop an activated session, so cancelling one is NOT_ALLOWED_IN_STATE.',
    'seed 000 §Delete Inactive Protection Policy: only an inactive policy can be deleted (PolicyActionNotAllowed, 403) -> NOT_ALLOWED_IN_STATE.',
    'Graph docs, List restorePoints: at most five restore points per call, the newest before a `protectionDateTime lt` bound; the adapter walks each unit back in time (restorePoints/search for the newest point when no upper bound is given).',
    "seed 000 §Create / Get / Update Inclusion Rule, Graph docs protectionRuleBase: policy rules are inclusion rules (driveInclusionRules, siteInclusionRules, mailboxInclusionRules) with the expression `(memberOf -any (group.id -in [...]))` built from the rule's groupIds; created on the policy and run; status draft/active -> completed or completedWithErrors. Only static rules exist (isAutoApplyEnabled false): a rule adds the members of its groups once, later members are not added.",
    'Restores whole sites, OneDrive accounts and mailboxes only (siteRestoreArtifacts, driveRestoreArtifacts, mailboxRestoreArtifacts); destination original = inPlace, new = new.',
  ],
};
