import { Module } from '@nestjs/common';
import { ChangeRecorder } from '../audit/change-recorder';
import { RedisConnections } from '../redis/redis-connections';
import { RedisWebhookOutbox } from './redis-webhook-outbox';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import { WebhookOutbox } from './webhook-outbox.port';

/** Signed webhooks (contract v1.3): the outbox the stores' scripts write, delivered by every instance. */
@Module({
  providers: [
    {
      provide: WebhookOutbox,
      inject: [RedisConnections, ChangeRecorder],
      useFactory: (redis: RedisConnections | null, recorder: ChangeRecorder | null) => (redis ? new RedisWebhookOutbox(redis.command) : recorder!.outbox),
    },
    WebhookDispatcher,
  ],
})
export class WebhooksModule {}
