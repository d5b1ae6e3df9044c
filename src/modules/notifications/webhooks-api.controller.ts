import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ApiCommon, ERROR_SCHEMA } from '../../common/openapi';
import { Actor } from '../auth/actor.decorator';
import { AddWebhookDto } from './dto/add-webhook.dto';
import { TEST_QUEUED_SCHEMA, WEBHOOK_SCHEMA } from './webhook.schema';
import { WebhookIdPipe } from './webhook-id.pipe';
import { WebhooksService, WebhookView } from './webhooks.service';

@Controller('api/cluster/webhooks')
@ApiTags('webhooks')
@ApiCommon()
export class WebhooksApiController {
  constructor(private readonly webhooks: WebhooksService) {}

  /** Every endpoint, oldest first, with its ten most recent deliveries; never a full URL or a secret. */
  @Get()
  @ApiOkResponse({ description: 'The endpoints', schema: { type: 'array', items: WEBHOOK_SCHEMA } })
  list(): Promise<WebhookView[]> {
    return this.webhooks.list();
  }

  /**
   * 201 with the endpoint as it is shown from now on; 400 naming a bad field; 409 on a node whose
   * ENCRYPTION_KEY is not the cluster's (the primary could not open what it would seal).
   */
  @Post()
  @ApiCreatedResponse({ description: 'Added', schema: WEBHOOK_SCHEMA })
  @ApiConflictResponse({
    description: "This node's encryption key is not the cluster's",
    schema: ERROR_SCHEMA,
  })
  add(@Body() body: AddWebhookDto, @Actor() actor: string): Promise<WebhookView> {
    return this.webhooks.add(body, actor);
  }

  /** 204; 404 when there is no such endpoint. Its pending deliveries go with it. */
  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Deleted, with its deliveries' })
  @ApiNotFoundResponse({ description: 'No such endpoint', schema: ERROR_SCHEMA })
  async remove(@Param('id', WebhookIdPipe) id: string, @Actor() actor: string): Promise<void> {
    await this.webhooks.remove(id, actor);
  }

  /** 202: a test event is queued; the primary sends it within about a second (see recentDeliveries). */
  @Post(':id/test')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiAcceptedResponse({ description: 'Queued', schema: TEST_QUEUED_SCHEMA })
  @ApiNotFoundResponse({ description: 'No such endpoint', schema: ERROR_SCHEMA })
  async test(@Param('id', WebhookIdPipe) id: string) {
    const deliveryId = await this.webhooks.sendTest(id);
    return { deliveryId, message: 'Queued: the primary sends it within about a second.' };
  }
}
