import { Body, Controller, Get, HttpStatus, Post, Query, Render, Res } from '@nestjs/common';
import type { Response } from 'express';
import { validateForm } from '../../common/form-validation';
import { Actor } from '../auth/actor.decorator';
import { ClusterSettingsService } from './cluster-settings.service';
import { SettingsFormDto } from './dto/settings-form.dto';
import { settingsErrors } from './settings-rules';
import { SettingsConflictError, SettingsInvalidError } from './settings.errors';
import { settingsFormModel, SettingsFormState } from './settings-form.model';

@Controller('administration/cluster/configure')
export class ClusterSettingsController {
  constructor(private readonly settings: ClusterSettingsService) {}

  @Get()
  @Render('administration/cluster/configure')
  async show(@Query('saved') saved?: string) {
    const current = await this.settings.get();
    return settingsFormModel({
      values: current,
      revision: current.revision,
      errors: {},
      warnings: this.settings.warnings(current),
      saved: saved === '1',
    });
  }

  @Post()
  async save(@Body() body: unknown, @Actor() actor: string, @Res() response: Response): Promise<void> {
    const form = validateForm(SettingsFormDto, body);
    const entered = form.value.entered();
    const revision = form.value.basedOnRevision();
    const again = (state: Partial<SettingsFormState>, status: number) =>
      response
        .status(status)
        .render(
          'administration/cluster/configure',
          settingsFormModel({ values: entered, errors: {}, warnings: [], ...state } as SettingsFormState),
        );

    if (!form.valid) {
      // Every field's problem at once: the rules' messages for the fields that were well-formed numbers, beside
      // the form's own messages for those that were not (which come first).
      const ruleErrors = settingsErrors(form.value.values());
      return again({ errors: { ...ruleErrors, ...form.errors }, revision }, HttpStatus.BAD_REQUEST);
    }
    try {
      await this.settings.update({ values: form.value.values(), basedOnRevision: revision, actor });
    } catch (error) {
      if (error instanceof SettingsInvalidError) {
        return again({ errors: error.fieldErrors, revision }, HttpStatus.BAD_REQUEST);
      }
      if (error instanceof SettingsConflictError) {
        // Shown with what this person entered and the revision now current: saving again is a deliberate choice.
        const current = await this.settings.get();
        return again(
          { conflict: { current, message: error.message }, revision: current.revision },
          HttpStatus.CONFLICT,
        );
      }
      throw error;
    }
    response.redirect(303, '/administration/cluster/configure?saved=1');
  }
}
