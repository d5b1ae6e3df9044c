import { Body, Controller, Get, HttpStatus, Param, Post, Render, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ComponentIdPipe } from './component-id.pipe';
import { validateForm } from '../../common/form-validation';
import { Actor } from '../auth/actor.decorator';
import { setFlash } from '../auth/session';
import { ComponentConflictError, DrainRefusedError } from './components.errors';
import { ComponentsService } from './components.service';
import { addFormModel, confirmationPageModel, enteredValues } from './components-form.model';
import { AddComponentDto } from './dto/add-component.dto';

const FORM_VIEW = 'administration/cluster/components/add';
const CONFIRM_VIEW = 'administration/cluster/components/remove';
const DRAIN_VIEW = 'administration/cluster/components/drain';
const REMOVAL_TITLE = 'Remove a component';
const DRAIN_TITLE = 'Drain a service component';

@Controller('administration/cluster/components')
export class ComponentsController {
  constructor(private readonly components: ComponentsService) {}

  @Get('add')
  @Render(FORM_VIEW)
  showAddForm() {
    return addFormModel({ type: 'web' }, {});
  }

  @Post('add')
  async add(
    @Body() body: unknown,
    @Actor() actor: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const form = validateForm(AddComponentDto, body);
    const again = (errors: Record<string, string>, status: number) =>
      response.status(status).render(FORM_VIEW, addFormModel(enteredValues(body), errors));
    if (!form.valid) return again(form.errors, HttpStatus.BAD_REQUEST);
    try {
      await this.components.add(form.value, actor);
    } catch (error) {
      if (error instanceof ComponentConflictError)
        return again({ [error.field]: error.detail }, HttpStatus.CONFLICT);
      throw error;
    }
    setFlash(
      request,
      `Added a ${form.value.type} component to ${form.value.serverName} by hand. It never sends a heartbeat.`,
    );
    response.redirect(303, '/administration/cluster');
  }

  @Get(':id/remove')
  @Render(CONFIRM_VIEW)
  async confirmRemoval(@Param('id', ComponentIdPipe) id: string) {
    return confirmationPageModel(REMOVAL_TITLE, await this.components.previewRemoval(id));
  }

  @Post(':id/remove')
  async remove(
    @Param('id', ComponentIdPipe) id: string,
    @Body() body: unknown,
    @Actor() actor: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    if ((body as Record<string, unknown> | undefined)?.confirm !== 'yes') {
      const preview = await this.components.previewRemoval(id);
      response
        .status(HttpStatus.BAD_REQUEST)
        .render(
          CONFIRM_VIEW,
          confirmationPageModel(REMOVAL_TITLE, preview, 'Confirm the removal with the button below.'),
        );
      return;
    }
    const removed = await this.components.remove(id, actor);
    setFlash(
      request,
      `Removed the ${removed.typeLabel.toLowerCase()} component of ${removed.serverName}. ${removed.consequences[0]}`,
    );
    response.redirect(303, '/administration/cluster');
  }

  @Get(':id/drain')
  @Render(DRAIN_VIEW)
  async confirmDrain(@Param('id', ComponentIdPipe) id: string) {
    return confirmationPageModel(DRAIN_TITLE, await this.components.previewDrain(id));
  }

  /** Needs `confirm=yes`, and for the last eligible component also the box `confirmLastEligible`. */
  @Post(':id/drain')
  async drain(
    @Param('id', ComponentIdPipe) id: string,
    @Body() body: unknown,
    @Actor() actor: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const fields = (body ?? {}) as Record<string, unknown>;
    const again = async (error: string) =>
      response
        .status(HttpStatus.BAD_REQUEST)
        .render(
          DRAIN_VIEW,
          confirmationPageModel(DRAIN_TITLE, await this.components.previewDrain(id), error),
        );
    if (fields.confirm !== 'yes') return again('Confirm the drain with the button below.');
    try {
      const outcome = await this.components.drain(id, actor, fields.confirmLastEligible === 'yes');
      setFlash(request, `Drained the service component of ${outcome.serverName}. ${outcome.message}`);
    } catch (error) {
      if (error instanceof DrainRefusedError && error.reason === 'last-eligible')
        return again('Tick the box to confirm draining the last eligible service component.');
      throw error;
    }
    response.redirect(303, '/administration/cluster');
  }

  @Post(':id/resume')
  async resume(
    @Param('id', ComponentIdPipe) id: string,
    @Actor() actor: string,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    const outcome = await this.components.resume(id, actor);
    setFlash(request, `Resumed the service component of ${outcome.serverName}. ${outcome.message}`);
    response.redirect(303, '/administration/cluster');
  }
}
