import { prettyLine, wantsPrettyLogs } from './app-logger';
import { jobTelemetry } from '../telemetry/trace-context';

describe('terminal-friendly logs', () => {
  it.each([
    ['auto', true, true],
    ['auto', false, false],
    ['true', false, true],
    ['false', true, false],
  ] as const)('LOG_PRETTY=%s on a terminal=%s pretty-prints: %s', (setting, tty, pretty) => {
    expect(wantsPrettyLogs({ LOG_PRETTY: setting }, tty)).toBe(pretty);
  });

  it('prints a request as one line: service, message, method, URL, status and time', () => {
    const line = prettyLine(
      {
        service: 'gateway',
        msg: 'request completed',
        req: { method: 'POST', url: '/v1/tenants/t/restore-jobs' },
        res: { statusCode: 202 },
        responseTime: 12.4,
      },
      'msg',
    );
    expect(line).toBe('gateway request completed POST /v1/tenants/t/restore-jobs 202 12 ms');
    expect(prettyLine({ service: 'worker', context: 'OutboxRelay', msg: 'relay failed' }, 'msg')).toBe('worker [OutboxRelay] relay failed');
  });
});

describe('trace context across the outbox', () => {
  it("turns a stored traceparent into BullMQ's job telemetry metadata (a JSON carrier), and nothing else into any", () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(jobTelemetry(traceparent)).toEqual({ metadata: JSON.stringify({ traceparent }) });
    expect(jobTelemetry(undefined)).toBeUndefined();
    expect(jobTelemetry('')).toBeUndefined();
    expect(jobTelemetry(42)).toBeUndefined();
  });
});
