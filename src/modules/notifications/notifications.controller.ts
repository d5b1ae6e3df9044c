import { Body, Controller, Get, HttpStatus, Param, Post, Render, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { validateForm } from '../../common/form-validation';
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
export class NotificationsController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @Render(VIEW)
  async show() {
    return notificationsPageModel(await this.webhooks.list(), await this.webhooks.databaseNowMs(), {
      values: EMPTY_FORM,
      errors: {},
    });
  }

  @Post()
  async add(
    @Body() body: unknown,
    @Actor() actor: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const entered = enteredWebhook(body);
    const again = async (status: number, errors: Record<string, string>, formError?: string) => {
      const model = notificationsPageModel(await this.webhooks.list(), await this.webhooks.databaseNowMs(), {
        values: entered,
        errors,
        formError,
      });
      response.status(status).render(VIEW, model);
    };
    const form = validateForm(AddWebhookDto, entered);
    if (!form.valid) return again(HttpStatus.BAD_REQUEST, form.errors);
    let added;
    try {
      added = await this.webhooks.add(form.value, actor);
    } catch (error) {
      if (error instanceof IneligibleNodeError) return again(HttpStatus.CONFLICT, {}, error.message);
      throw error;
    }
    setFlash(
      request,
      `Added the endpoint "${added.name}" (${added.url}). Its URL and secret are stored encrypted and not shown again in full.`,
    );
    response.redirect(303, PAGE);
  }

  @Post(':id/test')
  async test(@Param('id', WebhookIdPipe) id: string, @Req() request: Request, @Res() response: Response) {
    await this.webhooks.sendTest(id);
    setFlash(
      request,
      'A test event is queued: the primary sends it within about a second. Its result shows below.',
    );
    response.redirect(303, PAGE);
  }

  @Post(':id/delete')
  async remove(
    @Param('id', WebhookIdPipe) id: string,
    @Actor() actor: string,
    @Req() request: Request,
    @Res() response: Response,
  ) {
    await this.webhooks.remove(id, actor);
    setFlash(request, 'Deleted the endpoint and its deliveries.');
    response.redirect(303, PAGE);
  }
}
