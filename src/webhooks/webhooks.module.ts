import { Module } from '@nestjs/common';
import { RedisConnections } from '../redis/redis-connections';
import { RedisWebhookOutbox } from './redis-webhook-outbox';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import { WebhookOutbox } from './webhook-outbox.port';

/** Signed webhooks (contract v1.3): the outbox the stores' scripts write, delivered by every instance. */
@Module({
  providers: [
    {
      provide: WebhookOutbox,
      inject: [RedisConnections],
      useFactory: (redis: RedisConnections | null) => (redis ? new RedisWebhookOutbox(redis.command) : null),
    },
    WebhookDispatcher,
  ],
})
export class WebhooksModule {}
