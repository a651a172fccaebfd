import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RunningSandbox } from '../sandbox.server';
import { SEED_004_EXAMPLE } from './azure.fixtures';
import { AzureTestClient, startAzureSandbox } from './azure.test-helpers';

/**
 * Seed 004's own requests, read from the copy kept in the repo (apps/sandbox/specs/azure-dataprotection),
 * replayed unchanged against the sandbox — URLs (api-version 2021-01-01), bodies (the PUT's lower-case
 * "datasourceinfo"), ids — and its answers compared with the responses the seed shows.
 */
const SEED = readFileSync(resolve(__dirname, '../../specs/azure-dataprotection/seed-004-backup-blobs-arm-rest.txt'), 'utf8');
const ARM = 'https://management.azure.com';

/** The first fenced block of `lang` after the heading line `heading` (and after `after`, when given). */
function block(heading: string, lang: 'json' | 'http', after?: string): string {
  let at = SEED.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`seed 004 has no heading ${heading}`);
  if (after) at = SEED.indexOf(after, at);
  const start = SEED.indexOf('```' + lang + '\n', at);
  const end = SEED.indexOf('\n```', start + 4);
  return SEED.slice(start + lang.length + 4, end);
}

/** An http block of the seed: its request line, or its response's status, headers and JSON body. */
function httpBlock(text: string): { line: string; headers: Record<string, string>; body?: unknown } {
  const [head, ...rest] = text.trim().split(/\n\s*\n/);
  const [line, ...headerLines] = head.split('\n');
  const headers = Object.fromEntries(
    headerLines.map((h) => [h.slice(0, h.indexOf(':')).trim().toLowerCase(), h.slice(h.indexOf(':') + 1).trim()]),
  );
  return { line: line.trim(), headers, body: rest.length ? JSON.parse(rest.join('\n\n')) : undefined };
}

/** A seed URL against the sandbox: ARM's origin replaced by the sandbox's /azure/management. */
const onSandbox = (origin: string, url: string) => url.replace(ARM, `${origin}/azure/management`);
/** The path of an operation URL with its operation id replaced, to compare forms. */
const form = (url: string) => new URL(url).pathname.replace(/^\/azure\/management/, '').replace(/[^/]+$/, '{id}') + new URL(url).search;

describe('seed 004 replayed against the Azure sandbox', () => {
  let sandbox: RunningSandbox;
  let c: AzureTestClient;
  beforeAll(async () => {
    sandbox = await startAzureSandbox();
    c = new AzureTestClient(sandbox.origin);
    await c.configure({ asyncRetryAfterSeconds: 10, validateDurationMs: 30_000, protectionDurationMs: 1_000 });
    await c.login();
    // §Prerequisites: the blob backup policy the examples name.
    const vault = `/subscriptions/${SEED_004_EXAMPLE.subscriptionId}/resourceGroups/${SEED_004_EXAMPLE.vaultResourceGroup}/providers/Microsoft.DataProtection/backupVaults/${SEED_004_EXAMPLE.vaultName}`;
    const policy = await c.arm('PUT', `${vault}/backupPolicies/BlobBackup-Policy?api-version=2021-01-01`, c.policyBody());
    expect(policy.status).toBe(200);
  });
  afterAll(async () => {
    await sandbox.close();
  });

  const send = (method: string, url: string, body?: unknown) => c.arm(method, onSandbox(sandbox.origin, url.replace(/^"|"$/g, '')), body);

  it('accepts the validate-for-backup example and tracks it as §Track response shows', async () => {
    const url = httpBlock(block('### Validate the request to configure backup', 'http', 'For example, this translates to')).line;
    const [method, target] = url.split(' ');
    const body = JSON.parse(block('#### Example request body', 'json'));
    const res = await send(method, target, body);
    expect(res.status).toBe(202);
    const seen = httpBlock(block('###### Track response', 'http'));
    expect(seen.line).toBe('HTTP/1.1 202 Accepted');
    expect(res.headers.get('retry-after')).toBe(seen.headers['retry-after']);
    expect(form(res.headers.get('azure-asyncoperation')!)).toBe(form(seen.headers['azure-asyncoperation']));
    expect(form(res.headers.get('location')!)).toBe(form(seen.headers['location']));

    // The running poll: "status": "Inprogress" with endTime 0001-01-01T00:00:00.
    const trackBlocks = SEED.split('Track the resulting operation using the *Azure-AsyncOperation* header with a simple *GET* command.')[1];
    const runningBody = JSON.parse(trackBlocks.slice(trackBlocks.indexOf('{'), trackBlocks.indexOf('\n}\n') + 2));
    const running = await c.arm('GET', res.headers.get('azure-asyncoperation')!);
    expect(Object.keys(running.body).sort()).toEqual(Object.keys(runningBody).sort());
    expect(running.body).toMatchObject({ status: runningBody.status, endTime: runningBody.endTime });
    expect(running.body.id).toBe(new URL(res.headers.get('azure-asyncoperation')!).pathname.replace(/^\/azure\/management/, ''));
    await c.advance(30_000);
    const done = await c.arm('GET', res.headers.get('azure-asyncoperation')!);
    expect(done.body).toMatchObject({ status: 'Succeeded', startTime: running.body.startTime, endTime: expect.any(String) });
    expect(done.body.endTime).not.toBe('0001-01-01T00:00:00');
  });

  it("accepts the configure-backup PUT example (lower-case datasourceinfo, api-version 2021-01-01) and answers the seed's 201", async () => {
    const [method, target] = httpBlock(block('### Configure backup request', 'http', 'For example, this translates to')).line.split(' ');
    expect(method).toBe('PUT');
    expect(target).toMatch(/api-version=2021-01-01$/);
    const body = JSON.parse(block('##### Example request for configure backup', 'json'));
    expect(Object.keys(body.properties)).toContain('datasourceinfo');
    const res = await send(method, target, body);
    expect({ status: res.status, error: res.body?.error }).toEqual({ status: 201, error: undefined });

    const seen = httpBlock(block('##### Example responses to configure backup request', 'http'));
    expect(seen.line).toBe('HTTP/1.1 201 Created');
    expect(form(res.headers.get('azure-asyncoperation')!)).toBe(form(seen.headers['azure-asyncoperation']));
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('retry-after')).toBeTruthy();
    const expected = seen.body as { id: string; name: string; type: string; properties: Record<string, unknown> };
    expect(res.body).toMatchObject({ id: expected.id, name: expected.name, type: expected.type });
    const { policyInfo, ...props } = expected.properties;
    expect(res.body.properties).toMatchObject(props);
    expect(res.body.properties.policyInfo.policyId).toBe((policyInfo as { policyId: string }).policyId);

    // "Once the operation completes, it returns 200 (OK) with the success message in the response body."
    await c.advance(1_000);
    const done = await c.arm('GET', res.headers.get('azure-asyncoperation')!);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      status: 'Succeeded',
      name: new URL(res.headers.get('azure-asyncoperation')!).pathname.split('/').pop(),
    });
    const instance = await c.arm('GET', onSandbox(sandbox.origin, `${ARM}${expected.id}?api-version=2021-01-01`));
    expect(instance.body.properties).toMatchObject({ currentProtectionState: 'ProtectionConfigured', friendlyName: 'msblobbackup' });
  });

  it('accepts the stop-protection DELETE example and tracks it as §Responses for delete protection shows', async () => {
    const [method, target] = httpBlock(
      block('### Stop protection and delete data', 'http', 'For our example, this translates to'),
    ).line.split(' ');
    expect(method).toBe('DELETE');
    const res = await send(method, `${ARM}${target.replace(/^"/, '')}`);
    expect(res.status).toBe(202);
    const seen = httpBlock(block('##### Example responses for delete protection', 'http'));
    expect(form(res.headers.get('azure-asyncoperation')!)).toBe(form(seen.headers['azure-asyncoperation']));
    expect(form(res.headers.get('location')!)).toBe(form(seen.headers['location']));
    expect((await c.arm('GET', res.headers.get('azure-asyncoperation')!)).body.status).toBe('Succeeded');
  });
});
