import type { RunningSandbox } from '../sandbox.server';
import { isoDurationMs, occurrences, parseRepeatingInterval } from './azure.backups';
import { AzureTestClient, startAzureSandbox } from './azure.test-helpers';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('Azure sandbox backup jobs', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startAzureSandbox();
  });
  afterAll(async () => {
    await sandbox.close();
  });

  /**
   * A client whose vault has policy "daily" (BackupDaily at `firstInMs` from now, then every day) protecting
   * storage accounts `accounts`; protection is configured (1 s) before the first occurrence.
   */
  const setup = async (accounts = [1], config: Record<string, unknown> = {}, firstInMs = HOUR) => {
    const c = new AzureTestClient(sandbox.origin);
    await c.configure({ asyncRetryAfterSeconds: 0, tokenLifetimeSeconds: 30 * 86_400, ...config });
    await c.login();
    const first = (await c.now()) + firstInMs;
    const names = await c.protect('daily', accounts, c.vaultedPolicyBody(`R/${new Date(first).toISOString()}/P1D`));
    return { c, names, first };
  };
  const jobs = async (c: AzureTestClient) => (await c.arm('GET', `${c.vaultPath}/backupJobs`)).body.value as any[];
  const backupJobs = async (c: AzureTestClient) => (await jobs(c)).filter((j) => j.properties.operationCategory === 'Backup');
  const instance = async (c: AzureTestClient, name: string) => (await c.arm('GET', `${c.vaultPath}/backupInstances/${name}`)).body;
  const points = async (c: AzureTestClient, name: string) =>
    (await c.arm('GET', `${c.vaultPath}/backupInstances/${name}/recoveryPoints`)).body.value as any[];
  const adhoc = (c: AzureTestClient, name: string, ruleName = 'BackupDaily') =>
    c.arm('POST', `${c.vaultPath}/backupInstances/${name}/backup`, {
      backupRuleOptions: { ruleName, triggerOption: { retentionTagOverride: 'Default' } },
    });

  describe('schedules', () => {
    it('reads ISO 8601 repeating intervals and durations as the policy examples write them', () => {
      expect(parseRepeatingInterval('R/2019-11-20T08:00:00-08:00/P1W')).toEqual({
        startMs: Date.parse('2019-11-20T16:00:00Z'),
        periodMs: 7 * DAY,
      });
      expect(isoDurationMs('PT4H')).toBe(4 * HOUR);
      expect(isoDurationMs('P1DT30M')).toBe(DAY + 30 * MIN);
      expect(isoDurationMs('P')).toBeUndefined();
      expect(parseRepeatingInterval('2019-11-20T08:00:00Z/P1D')).toBeUndefined();
      const start = Date.parse('2024-01-01T02:00:00Z');
      expect(occurrences([{ startMs: start, periodMs: DAY }], start, start + 2 * DAY)).toEqual([start + DAY, start + 2 * DAY]);
      expect(occurrences([{ startMs: start, periodMs: DAY }], start - 1, start + DAY - 1)).toEqual([start]);
    });
  });

  it('backs each instance up at every occurrence of its policy: Started, InProgress, Completed, then a recovery point', async () => {
    const { c, names, first } = await setup([1, 2]);
    expect(await backupJobs(c)).toEqual([]);
    await c.advance(HOUR + 500);
    const started = await backupJobs(c);
    expect(started.map((j) => [j.properties.backupInstanceId.split('/').pop(), j.properties.status]).sort()).toEqual([
      [names[0], 'Started'],
      [names[1], 'Started'],
    ]);
    expect(started[0].properties).toMatchObject({
      operationCategory: 'Backup',
      operation: 'Backup',
      isUserTriggered: false,
      policyName: 'daily',
      startTime: new Date(first).toISOString(),
      extendedInfo: { additionalDetails: { PolicyRuleName: 'BackupDaily', RetentionTag: 'Default' } },
    });
    expect(started[0].properties.endTime).toBeUndefined();
    expect(await points(c, names[0])).toEqual([]);
    await c.advance(MIN);
    expect((await backupJobs(c)).map((j) => j.properties.status)).toEqual(['InProgress', 'InProgress']);
    await c.advance(10 * MIN);
    const done = (await c.arm('GET', `${c.vaultPath}/backupJobs/${started[0].name}`)).body.properties;
    expect(done).toMatchObject({ status: 'Completed', endTime: new Date(first + 10 * MIN).toISOString() });
    expect(done.extendedInfo.dataTransferredInBytes).toBeGreaterThan(0);
    const [rp] = await points(c, names[0]);
    expect(rp.properties).toMatchObject({
      objectType: 'AzureBackupDiscreteRecoveryPoint',
      recoveryPointTime: new Date(first).toISOString(),
      retentionTagName: 'Default',
      expiryTime: new Date(first + 7 * DAY).toISOString(),
      recoveryPointState: 'Completed',
    });
    expect((await c.arm('GET', `${c.vaultPath}/backupInstances/${names[0]}/recoveryPoints/${rp.name}`)).body).toEqual(rp);
    // A day later: the next occurrence, one more job per instance.
    await c.advance(DAY);
    expect(await backupJobs(c)).toHaveLength(4);
    expect((await instance(c, names[0])).properties.currentProtectionState).toBe('ProtectionConfigured');
  });

  it('keeps recovery points for the VaultStore retention only', async () => {
    const { c, names } = await setup([1]);
    await c.advance(HOUR + 20 * MIN);
    expect(await points(c, names[0])).toHaveLength(1);
    await c.advance(7 * DAY);
    const left = await points(c, names[0]);
    expect(left).toHaveLength(7);
    expect(left.map((p) => p.properties.recoveryPointTime)).toEqual([...left.map((p) => p.properties.recoveryPointTime)].sort().reverse());
  });

  it('refuses a policy whose backup rule has no retention for its data store or a schedule that is not a repeating interval', async () => {
    const c = new AzureTestClient(sandbox.origin);
    await c.configure({ tokenLifetimeSeconds: 30 * 86_400 });
    await c.login();
    const body = c.vaultedPolicyBody('R/2024-01-01T02:00:00+00:00/P1D') as any;
    expect((await c.arm('PUT', `${c.vaultPath}/backupPolicies/vaulted-ok`, body)).status).toBe(200);
    const noVault = structuredClone(body);
    noVault.properties.policyRules[1].lifecycles.pop();
    const refused = await c.arm('PUT', `${c.vaultPath}/backupPolicies/no-vault`, noVault);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({
      code: 'BMSUserErrorInvalidInput',
      message: expect.stringMatching(/no retention rule keeps/),
    });
    const badSchedule = structuredClone(body);
    badSchedule.properties.policyRules[0].trigger.schedule.repeatingTimeIntervals = ['daily at 2'];
    expect((await c.arm('PUT', `${c.vaultPath}/backupPolicies/bad-schedule`, badSchedule)).body.error.code).toBe(
      'BMSUserErrorInvalidInput',
    );
  });

  it('takes no backup jobs for an operational-only policy (continuous backup) and refuses its ad-hoc backup', async () => {
    const c = new AzureTestClient(sandbox.origin);
    await c.configure({ asyncRetryAfterSeconds: 0, tokenLifetimeSeconds: 30 * 86_400 });
    await c.login();
    const [name] = await c.protect('operational', [3]);
    await c.advance(2 * DAY);
    expect(await backupJobs(c)).toEqual([]);
    const refused = await adhoc(c, name, 'Default');
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('BMSUserErrorInvalidInput');
    expect(refused.body.error.message).toMatch(/no backup rule/);
  });

  it('pages the job list with nextLink, newest first', async () => {
    const { c } = await setup([1], { pageSize: 2 });
    await c.advance(2 * DAY + 2 * HOUR);
    const first = await c.arm('GET', `${c.vaultPath}/backupJobs`);
    expect(first.body.value).toHaveLength(2);
    const second = await c.arm('GET', first.body.nextLink);
    expect(second.body.value).toHaveLength(1);
    expect(second.body.nextLink).toBeUndefined();
    const starts = [...first.body.value, ...second.body.value].map((j: any) => Date.parse(j.properties.startTime));
    expect(starts).toEqual([...starts].sort((a, b) => b - a));
  });

  describe('ad-hoc backup (BackupInstances_AdhocBackup)', () => {
    it('answers 202 with the operation URLs; the operation then names the job, which is user-triggered', async () => {
      const { c, names } = await setup([1], {}, 12 * HOUR);
      await c.advance(2000);
      const res = await adhoc(c, names[0]);
      expect(res.status).toBe(202);
      expect(res.headers.get('retry-after')).toBe('0');
      const status = await c.arm('GET', res.headers.get('azure-asyncoperation')!);
      expect(status.body).toMatchObject({
        status: 'Succeeded',
        properties: { objectType: 'OperationJobExtendedInfo', jobId: expect.any(String) },
      });
      const result = await c.arm('GET', res.headers.get('location')!);
      expect(result.body).toEqual({ objectType: 'OperationJobExtendedInfo', jobId: status.body.properties.jobId });
      const job = (await c.arm('GET', `${c.vaultPath}/backupJobs/${result.body.jobId}`)).body.properties;
      expect(job).toMatchObject({ operationCategory: 'Backup', isUserTriggered: true, status: 'Started' });
      const again = await adhoc(c, names[0]);
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('AnotherOperationInProgress');
      await c.advance(10 * MIN);
      expect((await c.arm('GET', `${c.vaultPath}/backupJobs/${result.body.jobId}`)).body.properties.status).toBe('Completed');
      expect(await points(c, names[0])).toHaveLength(1);
      expect((await adhoc(c, names[0])).status).toBe(202);
    });

    it('refuses an unknown rule, a body without backupRuleOptions and an instance still configuring protection', async () => {
      const { c, names } = await setup([1], { protectionDurationMs: 60_000 });
      const unknown = await adhoc(c, names[0], 'BackupHourly');
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.code).toBe('BMSUserErrorInvalidInput');
      const bad = await c.arm('POST', `${c.vaultPath}/backupInstances/${names[0]}/backup`, {});
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('InvalidRequestContent');
      const configuring = await adhoc(c, names[0]);
      expect(configuring.status).toBe(400);
      expect(configuring.body.error.code).toBe('UserErrorBackupInstanceNotProtected');
      const missing = await adhoc(c, 'nope');
      expect(missing.status).toBe(404);
    });
  });

  describe('stop, suspend and resume (BackupInstances_StopProtection / SuspendBackups / ResumeProtection / ResumeBackups)', () => {
    const post = async (c: AzureTestClient, name: string, action: string, body?: unknown) => {
      const res = await c.arm('POST', `${c.vaultPath}/backupInstances/${name}/${action}`, body);
      expect(res.status).toBe(202);
      expect((await c.arm('GET', res.headers.get('azure-asyncoperation')!)).body.status).toBe('Succeeded');
    };

    it('stopProtection: ProtectionStopped, no more jobs, ad hoc refused, restorable range frozen; resumeProtection takes the schedule up again', async () => {
      const { c, names } = await setup([1]);
      await c.advance(HOUR + 20 * MIN);
      expect(await backupJobs(c)).toHaveLength(1);
      await post(c, names[0], 'stopProtection', {});
      const stoppedAt = await c.now();
      await c.advance(2 * DAY);
      expect(await backupJobs(c)).toHaveLength(1);
      expect((await instance(c, names[0])).properties).toMatchObject({
        currentProtectionState: 'ProtectionStopped',
        protectionStatus: { status: 'ProtectionStopped' },
      });
      expect((await adhoc(c, names[0])).body.error.code).toBe('UserErrorBackupInstanceNotProtected');
      const ranges = await c.arm('POST', `${c.vaultPath}/backupInstances/${names[0]}/findRestorableTimeRanges`, {
        sourceDataStoreType: 'OperationalStore',
      });
      const end = Date.parse(ranges.body.properties.restorableTimeRanges[0].endTime);
      expect(Math.abs(end - stoppedAt)).toBeLessThan(1000);
      expect(await points(c, names[0])).toHaveLength(1);
      await post(c, names[0], 'resumeProtection');
      expect((await instance(c, names[0])).properties.currentProtectionState).toBe('ProtectionConfigured');
      expect(await backupJobs(c)).toHaveLength(1);
      await c.advance(DAY);
      expect(await backupJobs(c)).toHaveLength(2);
    });

    it('suspendBackups: BackupSchedulesSuspended until resumeBackups', async () => {
      const { c, names } = await setup([1]);
      await c.advance(2000);
      await post(c, names[0], 'suspendBackups');
      await c.advance(DAY);
      expect(await backupJobs(c)).toEqual([]);
      expect((await instance(c, names[0])).properties.currentProtectionState).toBe('BackupSchedulesSuspended');
      await post(c, names[0], 'resumeBackups');
      expect((await instance(c, names[0])).properties.currentProtectionState).toBe('ProtectionConfigured');
      await c.advance(DAY);
      expect(await backupJobs(c)).toHaveLength(1);
    });
  });

  describe('faults per backup instance', () => {
    it('failBackupsOf: jobs end Failed with errorDetails, the instance shows ProtectionError, no recovery point; it clears on the next good job', async () => {
      const { c, names } = await setup([1, 2]);
      await c.configure({ failBackupsOf: [names[0]] });
      await c.advance(HOUR + 20 * MIN);
      const byInstance = new Map((await backupJobs(c)).map((j) => [j.properties.backupInstanceId.split('/').pop(), j.properties]));
      expect(byInstance.get(names[0])).toMatchObject({
        status: 'Failed',
        errorDetails: [{ code: 'UserErrorMissingRequiredPermissions', isRetryable: false, isUserError: true }],
      });
      expect(byInstance.get(names[1])).toMatchObject({ status: 'Completed' });
      expect(byInstance.get(names[1])?.errorDetails).toBeUndefined();
      const failing = (await instance(c, names[0])).properties;
      expect(failing).toMatchObject({
        currentProtectionState: 'ProtectionError',
        protectionStatus: { status: 'ProtectionConfigured', errorDetails: { code: 'UserErrorMissingRequiredPermissions' } },
        protectionErrorDetails: { code: 'UserErrorMissingRequiredPermissions' },
      });
      expect((await instance(c, names[1])).properties.currentProtectionState).toBe('ProtectionConfigured');
      expect(await points(c, names[0])).toEqual([]);
      await c.configure({ failBackupsOf: [] });
      await c.advance(DAY);
      expect((await instance(c, names[0])).properties).toMatchObject({ currentProtectionState: 'ProtectionConfigured' });
      expect((await instance(c, names[0])).properties.protectionErrorDetails).toBeUndefined();
      expect(await points(c, names[0])).toHaveLength(1);
    });

    it('warnBackupsOf: jobs end CompletedWithWarnings with warningDetails and still make a recovery point', async () => {
      const { c, names } = await setup([1]);
      await c.configure({ warnBackupsOf: [names[0].toUpperCase()] });
      await c.advance(HOUR + 20 * MIN);
      const [job] = await backupJobs(c);
      expect(job.properties).toMatchObject({
        status: 'CompletedWithWarnings',
        extendedInfo: { warningDetails: [{ resourceName: 'bgblob01', warning: { code: 'UserErrorBlobsSkipped' } }] },
      });
      expect(await points(c, names[0])).toHaveLength(1);
      expect((await instance(c, names[0])).properties.currentProtectionState).toBe('ProtectionConfigured');
    });

    it('skipBackupsOf: scheduled backups silently stop while the instance still shows ProtectionConfigured', async () => {
      const { c, names } = await setup([1, 2]);
      await c.advance(HOUR + 20 * MIN);
      // Jobs are created by the first ARM request after their time: this one makes the first backups happen.
      expect(await backupJobs(c)).toHaveLength(2);
      await c.configure({ skipBackupsOf: [names[0]] });
      await c.advance(2 * DAY);
      const counts = new Map<string, number>();
      for (const j of await backupJobs(c)) {
        const n = j.properties.backupInstanceId.split('/').pop();
        counts.set(n, (counts.get(n) ?? 0) + 1);
      }
      expect(Object.fromEntries(counts)).toEqual({ [names[0]]: 1, [names[1]]: 3 });
      expect((await instance(c, names[0])).properties.currentProtectionState).toBe('ProtectionConfigured');
    });

    it('suspendBackupsOf: no jobs, BackupSchedulesSuspended (protectionStatus ProtectionStopped), ad-hoc backup refused', async () => {
      const { c, names } = await setup([1]);
      await c.configure({ suspendBackupsOf: [names[0]] });
      await c.advance(2 * DAY);
      expect(await backupJobs(c)).toEqual([]);
      expect((await instance(c, names[0])).properties).toMatchObject({
        currentProtectionState: 'BackupSchedulesSuspended',
        protectionStatus: { status: 'ProtectionStopped' },
      });
      const refused = await adhoc(c, names[0]);
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('UserErrorBackupInstanceNotProtected');
    });
  });
});
