import type { LoggerService } from '@nestjs/common';
import type { Logger } from 'pino';

/** Nest's contexts that log every module initialised and every route mapped at start-up. */
const STARTUP_CONTEXTS: ReadonlySet<string> = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** Nest's logger interface over pino, so framework and app logs are the same structured JSON. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly pino: Logger) {}
  log(message: unknown, context?: string) {
    // Nest's start-up chatter (a line per module and per mapped route, ~130 lines) is debug, not info.
    if (context && STARTUP_CONTEXTS.has(context)) this.pino.debug({ context }, String(message));
    else this.pino.info({ context }, String(message));
  }
  error(message: unknown, trace?: unknown, context?: string) {
    if (message && typeof message === 'object' && !(message instanceof Error)) {
      // Our own calls pass (object, message): keep the object as fields, with errors serialized.
      const { err, ...rest } = message as { err?: unknown };
      this.pino.error({ ...rest, err, context }, typeof trace === 'string' ? trace : 'error');
      return;
    }
    this.pino.error({ context, trace }, String(message instanceof Error ? message.message : message));
  }
  warn(message: unknown, context?: string) {
    this.pino.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.pino.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.pino.trace({ context }, String(message));
  }
}
