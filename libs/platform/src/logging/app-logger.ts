import pino from 'pino';
import type { AppConfig } from '../config/config';
import { traceMixin } from '../telemetry/trace-context';

/** Whether log lines are pretty-printed: LOG_PRETTY=true, or auto and stdout is a terminal. */
export function wantsPrettyLogs(config: Pick<AppConfig, 'LOG_PRETTY'>, isTty = Boolean(process.stdout.isTTY)): boolean {
  return config.LOG_PRETTY === 'true' || (config.LOG_PRETTY === 'auto' && isTty);
}

/** The pretty line of a log record: service, context, message, and a request's method, URL, status and time. */
export function prettyLine(log: Record<string, unknown>, messageKey: string): string {
  const req = log.req as { method?: string; url?: string } | undefined;
  const res = log.res as { statusCode?: number } | undefined;
  const request = req?.method ? ` ${req.method} ${req.url ?? ''}${res?.statusCode ? ` ${res.statusCode}` : ''}` : '';
  const took = typeof log.responseTime === 'number' ? ` ${Math.round(log.responseTime)} ms` : '';
  const context = typeof log.context === 'string' ? ` [${log.context}]` : '';
  return `${String(log.service ?? '')}${context} ${String(log[messageKey] ?? '')}${request}${took}`;
}

/** pino-pretty as a synchronous stream, when installed (a development dependency: production images log JSON). */
function prettyStream(): pino.DestinationStream | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pretty = require('pino-pretty') as (opts: Record<string, unknown>) => pino.DestinationStream;
    return pretty({
      colorize: true,
      sync: true,
      translateTime: 'HH:MM:ss.l',
      // One line per request ("gateway POST /v1/... 202 12 ms"); other fields stay below the line.
      ignore: 'pid,hostname,service,context,req,res,reqId,responseTime',
      messageFormat: prettyLine,
    });
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
