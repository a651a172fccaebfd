import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import type { RunningSandbox } from '../sandbox.server';
import { tenantSlug } from './avepoint.fixtures';
import { AvePointTestClient, siteRestoreBody, startAvePointSandbox } from './avepoint.test-helpers';

/**
 * The simulator's real responses (and the requests it accepts) validated against the AvePoint summary
 * OpenAPI in apps/sandbox/specs/avepoint (written from the official docs).
 */
const SPEC_PATH = resolve(__dirname, '../../specs/avepoint/avepoint-cloud-backup-m365.summary.openapi.yaml');

const ptr = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

describe('AvePoint sandbox against the summary OpenAPI', () => {
  let sandbox: RunningSandbox;
  let ajv: Ajv;
  let doc: any;

  const responseValidator = (path: string, method: string, status: string): ValidateFunction =>
    ajv.getSchema(`spec#/paths/${ptr(path)}/${method}/responses/${status}/content/application~1json/schema`)!;
  const errorValidator = (): ValidateFunction => ajv.getSchema('spec#/components/schemas/Envelope')!;
  const requestValidator = (): ValidateFunction => ajv.getSchema('spec#/components/schemas/RestoreJobRequest')!;

  const expectValid = (v: ValidateFunction, data: unknown) => {
    const ok = v(data);
    expect(v.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  };

  beforeAll(async () => {
    doc = parse(readFileSync(resolve(SPEC_PATH), 'utf8'));
    ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    for (const f of ['duration', 'base64url', 'int32', 'int64']) ajv.addFormat(f, true);
    ajv.addSchema(doc, 'spec');
    sandbox = await startAvePointSandbox();
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('has validators that refuse wrong shapes (so the checks below can fail)', () => {
    expect(errorValidator()({ statusCode: '200' })).toBe(false);
    expect(requestValidator()({ serviceType: 4, recoveryDateTime: '2026-02-27T03:54:22Z' })).toBe(false);
    expect(responseValidator('/backup/m365/cloudbackupjobs', 'get', '200')({ data: { id: 'x' } })).toBe(false);
  });

  it('accepts both request examples of the spec, which validate against RestoreJobRequest', async () => {
    const c = new AvePointTestClient(sandbox.origin, 'contoso');
    await c.login();
    const examples = doc.paths['/backup/m365/restore/jobs'].post.requestBody.content['application/json'].examples;
    for (const name of ['sharePoint', 'oneDrive']) {
      const body = examples[name].value;
      expectValid(requestValidator(), body);
      const res = await c.api('POST', '/backup/m365/restore/jobs', body);
      expect(res.status).toBe(200);
      expectValid(responseValidator('/backup/m365/restore/jobs', 'post', '200'), res.body);
    }
  });

  it('answers job details and job lists in the documented shape, running and finished', async () => {
    const c = new AvePointTestClient(sandbox.origin);
    await c.login();
    const jobId = (await c.api('POST', '/backup/m365/restore/jobs', siteRestoreBody(tenantSlug(c.clientId)))).body.data.jobId;
    for (const advance of [0, 120_000]) {
      await c.advance(advance);
      const one = await c.api('GET', `/backup/m365/cloudbackupjobs/${jobId}`);
      expect(one.status).toBe(200);
      expectValid(responseValidator('/backup/m365/cloudbackupjobs/{jobId}', 'get', '200'), one.body);
      const list = await c.api('GET', '/backup/m365/cloudbackupjobs?pageSize=3');
      expect(list.body.data.length).toBe(3);
      expectValid(responseValidator('/backup/m365/cloudbackupjobs', 'get', '200'), list.body);
    }
  });

  it('answers backup jobs in the documented shape: finished, failed and finished with exception', async () => {
    const c = new AvePointTestClient(sandbox.origin);
    await c.configure({ tokenLifetimeSeconds: 10 * 86_400, retentionDays: 4, backupsPerDay: 2 });
    await c.login();
    const slug = tenantSlug(c.clientId);
    const day = 86_400_000;
    const { now } = await c.control('POST', '/clock', { advanceMs: 0 });
    const at = (d: number) => new Date(Date.parse(now) + d * day).toISOString();
    await c.configure({
      backupFaults: [
        { objects: '*', kind: 'fail', from: at(-3), until: at(-2) },
        { objects: [`https://${slug}.sharepoint.com/sites/Site01`], kind: 'exception', from: at(-2), until: at(-1) },
        { objects: [`user01@${slug}.onmicrosoft.com`], kind: 'fail', from: at(-1) },
      ],
    });
    const list = await c.api('GET', '/backup/m365/cloudbackupjobs?jobType=1&pageSize=20');
    expectValid(responseValidator('/backup/m365/cloudbackupjobs', 'get', '200'), list.body);
    const states = new Set(list.body.data.map((j: { state: string }) => j.state));
    for (const state of ['Finished', 'Failed', 'Finished with Exception']) expect(states.has(state)).toBe(true);
    for (const job of list.body.data.slice(0, 3)) {
      const one = await c.api('GET', `/backup/m365/cloudbackupjobs/${job.id}`);
      expectValid(responseValidator('/backup/m365/cloudbackupjobs/{jobId}', 'get', '200'), one.body);
    }
  });

  it('answers 400, 401, 404 and 429 with the error envelope', async () => {
    const c = new AvePointTestClient(sandbox.origin);
    const unauth = await c.api('GET', '/backup/m365/cloudbackupjobs');
    await c.login();
    const bad = await c.api('POST', '/backup/m365/restore/jobs', { serviceType: 1 });
    const missing = await c.api('GET', '/backup/m365/cloudbackupjobs/RS1');
    await c.configure({ maxConcurrentJobs: 0 });
    const busy = await c.api('POST', '/backup/m365/restore/jobs', siteRestoreBody(tenantSlug(c.clientId)));
    expect([unauth.status, bad.status, missing.status, busy.status]).toEqual([401, 400, 404, 429]);
    for (const r of [unauth, bad, missing, busy]) {
      expectValid(errorValidator(), r.body);
      expect(r.body.statusCode).toBe(r.status);
    }
  });
});
