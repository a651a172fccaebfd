import { CallLog, FaultInjector, SandboxClock } from './faults';

/**
 * The per-account state every simulator keeps: faults, the call log and a clock. Simulators key their
 * state by the vendor account (Entra tenant id, AvePoint tenant, Veeam server, Azure subscription) so
 * parallel tests using different accounts never see each other.
 */
export class SandboxScope<S> {
  readonly faults = new FaultInjector();
  readonly calls = new CallLog();
  readonly clock = new SandboxClock();
  /** Per-account behaviour switches set by tests (durations, stuck jobs, limits); each vendor documents its keys. */
  config: Record<string, unknown> = {};
  constructor(public state: S) {}
}

export class ScopeRegistry<S> {
  private readonly scopes = new Map<string, SandboxScope<S>>();
  constructor(private readonly init: (key: string) => S) {}

  get(key: string): SandboxScope<S> {
    let s = this.scopes.get(key);
    if (!s) {
      s = new SandboxScope(this.init(key));
      this.scopes.set(key, s);
    }
    return s;
  }

  reset(key: string): void {
    this.scopes.delete(key);
  }

  keys(): string[] {
    return [...this.scopes.keys()];
  }
}
