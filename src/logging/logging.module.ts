import { DynamicModule, Global, Inject, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config';
import { AppLogger } from './app-logger.service';
import { createPinoLogger } from './pino-logger';
import { requestLog } from './request-log.middleware';

/** The pino logger (a type only in pino, so it needs a token). */
export const PINO = Symbol('PINO');

/**
 * Logging on pino, without a request-scoped context: nestjs-pino keeps one in AsyncLocalStorage,
 * whose promise hooks cost ~15% of the CPU while text streams (Node 20 has no AsyncContextFrame),
 * and its pino-http child loggers stay on the heap for as long as a stream is open.
 */
@Global()
@Module({})
export class LoggingModule implements NestModule {
  constructor(@Inject(PINO) private readonly pino: Logger) {}

  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: LoggingModule,
      providers: [
        { provide: PINO, useValue: createPinoLogger(config) },
        { provide: AppLogger, useFactory: (pino: Logger) => new AppLogger(pino), inject: [PINO] },
      ],
      exports: [AppLogger, PINO],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(requestLog(this.pino)).forRoutes({ path: '*', method: RequestMethod.ALL });
  }
}
