import { request } from 'undici';
import { startTestSandbox } from '../support/sandbox';
import type { RunningSandbox } from '../../apps/sandbox/src/sandbox.server';

describe('sandbox server', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });
  afterAll(async () => {
    await sandbox.close();
  });

  it('serves HTTPS that clients trust through NODE_EXTRA_CA_CERTS, with verification on', async () => {
    const res = await request(`${sandbox.origin}/_sandbox`);
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ vendors: expect.any(Array) });
  });
});
