import { Logger } from '@nestjs/common';
import { isBackingServiceUnavailable, toProblem } from './problem.filter';

const logger = new Logger('test');
beforeAll(() => Logger.overrideLogger(false));

describe('an unreachable Postgres or Redis answers 503 SERVICE_UNAVAILABLE, not a bare 500', () => {
  const pgError = (code: string) => Object.assign(new Error('pg says no'), { code });

  it.each([
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['the server terminated the connection', new Error('Connection terminated unexpectedly')],
    ['admin shutdown (57P01)', pgError('57P01')],
    ['the database is starting up (57P03)', pgError('57P03')],
    ['a connection exception (08006)', pgError('08006')],
    ['too many connections (53300)', pgError('53300')],
    ['TypeORM QueryFailedError around a driver error', Object.assign(new Error('query failed'), { driverError: pgError('57P01') })],
    [
      'AggregateError of refused addresses',
      Object.assign(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })], ''), {}),
    ],
    ['ioredis offline queue off', new Error("Stream isn't writeable and enableOfflineQueue options is false")],
  ])('%s', (_what, err) => {
    expect(isBackingServiceUnavailable(err)).toBe(true);
    expect(toProblem(err, 'req-1', logger)).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE', instance: 'req-1' });
  });

  it.each([
    ['a unique violation (23505)', pgError('23505')],
    ['a plain bug', new TypeError('x is undefined')],
    ['a syntax error in SQL (42601)', pgError('42601')],
  ])('but %s stays a 500 INTERNAL', (_what, err) => {
    expect(isBackingServiceUnavailable(err)).toBe(false);
    expect(toProblem(err, 'req-2', logger)).toMatchObject({ status: 500, code: 'INTERNAL' });
  });
});
