import {
  Body,
  Controller,
  Get,
  HttpStatus,
  Param,
  Post,
  Redirect,
  Render,
  Req,
  UseFilters,
} from '@nestjs/common';
import type { Request } from 'express';
import { acceptForm, FormRejection, FormRejectionFilter, orReject } from '../../common/html-form';
import { Actor } from '../auth/actor.decorator';
import { setFlash } from '../auth/session';
import { AddWebhookDto } from './dto/add-webhook.dto';
import { EMPTY_FORM, enteredWebhook, notificationsPageModel } from './notifications-page.model';
import { WebhookIdPipe } from './webhook-id.pipe';
import { IneligibleNodeError, WebhooksService } from './webhooks.service';

const VIEW = 'administration/cluster/notifications';
const PAGE = '/administration/cluster/notifications';

/** The Notifications page: webhook endpoints, their recent deliveries, and the form to add one. */
@Controller('administration/cluster/notifications')
@UseFilters(FormRejectionFilter)
export class NotificationsController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @Render(VIEW)
  async show() {
    return this.pageModel({ values: EMPTY_FORM, errors: {} });
  }

  @Post()
  @Redirect(PAGE, 303)
  async add(@Body() body: unknown, @Actor() actor: string, @Req() request: Request): Promise<void> {
    const entered = enteredWebhook(body);
    const again = async (status: number, errors: Record<string, string>, formError?: string) =>
      new FormRejection(VIEW, status, await this.pageModel({ values: entered, errors, formError }));
    const value = await acceptForm(AddWebhookDto, entered, (errors) => again(HttpStatus.BAD_REQUEST, errors));
    const added = await orReject(this.webhooks.add(value, actor), (error) =>
      error instanceof IneligibleNodeError ? again(HttpStatus.CONFLICT, {}, error.message) : undefined,
    );
    setFlash(
      request,
      `Added the endpoint "${added.name}" (${added.url}). Its URL and secret are stored encrypted and not shown again in full.`,
    );
  }

  @Post(':id/test')
  @Redirect(PAGE, 303)
  async test(@Param('id', WebhookIdPipe) id: string, @Req() request: Request): Promise<void> {
    await this.webhooks.sendTest(id);
    setFlash(
      request,
      'A test event is queued: the primary sends it within about a second. Its result shows below.',
    );
  }

  @Post(':id/delete')
  @Redirect(PAGE, 303)
  async remove(
    @Param('id', WebhookIdPipe) id: string,
    @Actor() actor: string,
    @Req() request: Request,
  ): Promise<void> {
    await this.webhooks.remove(id, actor);
    setFlash(request, 'Deleted the endpoint and its deliveries.');
  }

  private async pageModel(form: Parameters<typeof notificationsPageModel>[2]) {
    return notificationsPageModel(await this.webhooks.list(), await this.webhooks.databaseNowMs(), form);
  }
}
