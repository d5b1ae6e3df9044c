import { Module } from '@nestjs/common';
import { FailoverModule } from '../failover/failover.module';
import { MetricsModule } from '../metrics/metrics.module';
import { VerificationModule } from '../verification/verification.module';
import { NotificationsController } from './notifications.controller';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhooksApiController } from './webhooks-api.controller';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksService } from './webhooks.service';

/** Webhook endpoints: managed on any node, delivered by the primary. */
@Module({
  imports: [FailoverModule, MetricsModule, VerificationModule],
  controllers: [NotificationsController, WebhooksApiController],
  providers: [WebhooksRepository, WebhookDeliveriesRepository, WebhooksService, WebhookDispatcher],
})
export class NotificationsModule {}
