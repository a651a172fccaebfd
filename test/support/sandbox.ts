import { startSandbox, type RunningSandbox } from '../../apps/sandbox/src/sandbox.server';
import { allVendorSandboxes } from '../../apps/sandbox/src/vendors';
import type { FaultSpec, RecordedCall } from '../../apps/sandbox/src/support';

/** Starts every vendor simulator on a free port for this test file. */
export async function startTestSandbox(): Promise<RunningSandbox> {
  return startSandbox({ port: 0, host: '127.0.0.1', certPath: process.env.SANDBOX_CERT_PATH!, vendors: allVendorSandboxes() });
}

/** Test control of one simulated vendor account (scope) over the sandbox's control API. */
export class SandboxControl {
  constructor(
    readonly origin: string,
    readonly vendorPrefix: string,
    readonly scope: string,
  ) {}

  private url(suffix: string): string {
    return `${this.origin}/_sandbox/${this.vendorPrefix}/scopes/${encodeURIComponent(this.scope)}${suffix}`;
  }

  private async call(method: string, suffix: string, body?: unknown): Promise<any> {
    const res = await fetch(this.url(suffix), {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`sandbox control ${method} ${suffix} -> ${res.status} ${await res.text()}`);
    return res.json();
  }

  injectFault(fault: FaultSpec | FaultSpec[]): Promise<void> {
    return this.call('POST', '/faults', fault);
  }
  /** The faults not used up yet (a fault with a count is used once per matching request as it arrives). */
  async faults(): Promise<Array<FaultSpec & { remaining: number }>> {
    return (await this.call('GET', '/faults')).faults;
  }
  clearFaults(): Promise<void> {
    return this.call('DELETE', '/faults');
  }
  async calls(): Promise<RecordedCall[]> {
    return (await this.call('GET', '/calls')).calls;
  }
  clearCalls(): Promise<void> {
    return this.call('DELETE', '/calls');
  }
  advanceClock(ms: number): Promise<{ now: string }> {
    return this.call('POST', '/clock', { advanceMs: ms });
  }
  configure(config: Record<string, unknown>): Promise<{ config: Record<string, unknown> }> {
    return this.call('PATCH', '/config', config);
  }
  reset(): Promise<void> {
    return this.call('POST', '/reset');
  }
  async state<T = unknown>(): Promise<T> {
    return (await this.call('GET', '/state')).state;
  }
}
