import pino from 'pino';
import { PinoNestLogger } from './nest-logger';

describe('PinoNestLogger', () => {
  function capture(level: pino.Level) {
    const lines: Array<{ level: number; msg: string; context?: string }> = [];
    const logger = pino({ level }, { write: (line: string) => lines.push(JSON.parse(line)) });
    return { nest: new PinoNestLogger(logger), lines };
  }

  it("logs Nest's start-up chatter (modules, routes) at debug, everything else as asked", () => {
    const info = capture('info');
    info.nest.log('Mapped {/v1/tenants, POST} route', 'RouterExplorer');
    info.nest.log('AppModule dependencies initialized', 'InstanceLoader');
    info.nest.log('TenantsController {/v1/tenants}:', 'RoutesResolver');
    info.nest.log('Nest application successfully started', 'NestApplication');
    info.nest.warn('careful', 'Mine');
    expect(info.lines.map((l) => [l.context, l.msg])).toEqual([
      ['NestApplication', 'Nest application successfully started'],
      ['Mine', 'careful'],
    ]);
    const debug = capture('debug');
    debug.nest.log('Mapped {/v1/tenants, POST} route', 'RouterExplorer');
    expect(debug.lines).toEqual([expect.objectContaining({ level: 20, context: 'RouterExplorer' })]);
  });
});
