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
import { acceptForm, field, FormRejection, FormRejectionFilter, orReject } from '../../common/html-form';
import { Actor } from '../auth/actor.decorator';
import { setFlash } from '../auth/session';
import { ComponentIdPipe } from './component-id.pipe';
import { ComponentConflictError, DrainRefusedError } from './components.errors';
import { ComponentsService } from './components.service';
import { addFormModel, confirmationPageModel, enteredValues } from './components-form.model';
import { AddComponentDto } from './dto/add-component.dto';
import { Requires } from '../auth/roles';

const OVERVIEW = '/administration/cluster';
const FORM_VIEW = 'administration/cluster/components/add';
const CONFIRM_VIEW = 'administration/cluster/components/remove';
const DRAIN_VIEW = 'administration/cluster/components/drain';
const REMOVAL_TITLE = 'Remove a component';
const DRAIN_TITLE = 'Drain a service component';

/** Adding a component by hand, removing one, and draining and resuming a service component. */
@Requires('operator')
@Controller('administration/cluster/components')
@UseFilters(FormRejectionFilter)
export class ComponentsController {
  constructor(private readonly components: ComponentsService) {}

  @Get('add')
  @Render(FORM_VIEW)
  showAddForm() {
    return addFormModel({ type: 'web' }, {});
  }

  @Post('add')
  @Redirect(OVERVIEW, 303)
  async add(@Body() body: unknown, @Actor() actor: string, @Req() request: Request): Promise<void> {
    const again = (errors: Record<string, string>, status: number) =>
      new FormRejection(FORM_VIEW, status, addFormModel(enteredValues(body), errors));
    const value = await acceptForm(AddComponentDto, body, (errors) => again(errors, HttpStatus.BAD_REQUEST));
    await orReject(this.components.add(value, actor), (error) =>
      error instanceof ComponentConflictError
        ? again({ [error.field]: error.detail }, HttpStatus.CONFLICT)
        : undefined,
    );
    setFlash(
      request,
      `Added a ${value.type} component to ${value.serverName} by hand. It never sends a heartbeat.`,
    );
  }

  @Get(':id/remove')
  @Render(CONFIRM_VIEW)
  async confirmRemoval(@Param('id', ComponentIdPipe) id: string) {
    return confirmationPageModel(REMOVAL_TITLE, await this.components.previewRemoval(id));
  }

  @Post(':id/remove')
  @Redirect(OVERVIEW, 303)
  async remove(
    @Param('id', ComponentIdPipe) id: string,
    @Body() body: unknown,
    @Actor() actor: string,
    @Req() request: Request,
  ): Promise<void> {
    if (field(body, 'confirm') !== 'yes') {
      const preview = await this.components.previewRemoval(id);
      const model = confirmationPageModel(
        REMOVAL_TITLE,
        preview,
        'Confirm the removal with the button below.',
      );
      throw new FormRejection(CONFIRM_VIEW, HttpStatus.BAD_REQUEST, model);
    }
    const removed = await this.components.remove(id, actor);
    setFlash(
      request,
      `Removed the ${removed.typeLabel.toLowerCase()} component of ${removed.serverName}. ${removed.consequences[0]}`,
    );
  }

  @Get(':id/drain')
  @Render(DRAIN_VIEW)
  async confirmDrain(@Param('id', ComponentIdPipe) id: string) {
    return confirmationPageModel(DRAIN_TITLE, await this.components.previewDrain(id));
  }

  /** Needs `confirm=yes`, and for the last eligible component also the box `confirmLastEligible`. */
  @Post(':id/drain')
  @Redirect(OVERVIEW, 303)
  async drain(
    @Param('id', ComponentIdPipe) id: string,
    @Body() body: unknown,
    @Actor() actor: string,
    @Req() request: Request,
  ): Promise<void> {
    const again = async (message: string) =>
      new FormRejection(
        DRAIN_VIEW,
        HttpStatus.BAD_REQUEST,
        confirmationPageModel(DRAIN_TITLE, await this.components.previewDrain(id), message),
      );
    if (field(body, 'confirm') !== 'yes') throw await again('Confirm the drain with the button below.');
    const outcome = await orReject(
      this.components.drain(id, actor, field(body, 'confirmLastEligible') === 'yes'),
      (error) =>
        error instanceof DrainRefusedError && error.reason === 'last-eligible'
          ? again('Tick the box to confirm draining the last eligible service component.')
          : undefined,
    );
    setFlash(request, `Drained the service component of ${outcome.serverName}. ${outcome.message}`);
  }

  @Post(':id/resume')
  @Redirect(OVERVIEW, 303)
  async resume(
    @Param('id', ComponentIdPipe) id: string,
    @Actor() actor: string,
    @Req() request: Request,
  ): Promise<void> {
    const outcome = await this.components.resume(id, actor);
    setFlash(request, `Resumed the service component of ${outcome.serverName}. ${outcome.message}`);
  }
}
