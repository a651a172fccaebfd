import pino from 'pino';
import type { AppConfig } from '../config/config';
import { traceMixin } from '../telemetry/trace-context';

/** Whether log lines are pretty-printed: LOG_PRETTY=true, or auto and stdout is a terminal. */
export function wantsPrettyLogs(config: Pick<AppConfig, 'LOG_PRETTY'>, isTty = Boolean(process.stdout.isTTY)): boolean {
  return config.LOG_PRETTY === 'true' || (config.LOG_PRETTY === 'auto' && isTty);
}

/** pino-pretty as a synchronous stream, when installed (a development dependency: production images log JSON). */
function prettyStream(): pino.DestinationStream | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pretty = require('pino-pretty') as (opts: Record<string, unknown>) => pino.DestinationStream;
    return pretty({ colorize: true, sync: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' });
  } catch {
    return undefined;
  }
}

/**
 * The process logger of an app: JSON lines on stdout (pretty lines on a terminal, see wantsPrettyLogs),
 * each with the active trace's trace_id/span_id when tracing is on. `stream` (tests) overrides the output.
 */
export function createAppLogger(config: AppConfig, options: pino.LoggerOptions, stream?: pino.DestinationStream): pino.Logger {
  const out = stream ?? (wantsPrettyLogs(config) ? prettyStream() : undefined) ?? pino.destination(1);
  return pino({ level: config.LOG_LEVEL, mixin: traceMixin, ...options }, out);
}
