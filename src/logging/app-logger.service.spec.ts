import { Logger as NestLogger } from '@nestjs/common';
import pino from 'pino';
import { Writable } from 'node:stream';
import { AppLogger } from './app-logger.service';

/** An AppLogger whose JSON lines land in `lines`, installed as Nest's logger the way main does. */
function capture(level = 'trace') {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const logger = new AppLogger(pino({ level }, sink));
  NestLogger.overrideLogger(logger);
  return { lines, logger };
}

describe('AppLogger', () => {
  afterEach(() => NestLogger.overrideLogger(false));

  it('writes a Nest logger’s message with its context and level', () => {
    const { lines } = capture();
    new NestLogger('StreamService').warn('Stream s1: closing with retry');
    new NestLogger('RunDriver').log('started');
    expect(lines.map(({ level, context, msg }) => ({ level, context, msg }))).toEqual([
      { level: 40, context: 'StreamService', msg: 'Stream s1: closing with retry' },
      { level: 30, context: 'RunDriver', msg: 'started' },
    ]);
  });

  it('keeps a stack passed to error() as the error’s, not as text, and an Error as err', () => {
    const { lines } = capture();
    const failure = new Error('boom');
    new NestLogger('ExceptionsHandler').error('Request failed', failure.stack);
    new NestLogger('RunDriver').error(failure);
    new NestLogger('Plain').error('no stack');
    expect(lines[0]).toMatchObject({ level: 50, context: 'ExceptionsHandler', err: { message: 'Request failed', stack: failure.stack } });
    expect(lines[1]).toMatchObject({ level: 50, context: 'RunDriver', err: { message: 'boom' } });
    expect(lines[2]).toMatchObject({ level: 50, context: 'Plain', msg: 'no stack' });
  });

  it('merges an object message into the line and honours the level', () => {
    const { lines, logger } = capture('warn');
    logger.log({ runs: 3 }, 'Metrics');
    logger.warn({ runs: 4 }, 'Metrics');
    logger.debug('hidden', 'X');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, context: 'Metrics', runs: 4 });
  });
});
