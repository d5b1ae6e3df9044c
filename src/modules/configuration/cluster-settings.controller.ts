import { Body, Controller, Get, HttpStatus, Post, Query, Redirect, Render, UseFilters } from '@nestjs/common';
import { acceptForm, FormRejection, FormRejectionFilter, orReject } from '../../common/html-form';
import { Actor } from '../auth/actor.decorator';
import { ClusterSettingsService } from './cluster-settings.service';
import { SettingsFormDto } from './dto/settings-form.dto';
import { settingsErrors } from './settings-rules';
import { SettingsConflictError, SettingsInvalidError } from './settings.errors';
import { settingsFormModel, SettingsFormState } from './settings-form.model';
import { Requires } from '../auth/roles';

const VIEW = 'administration/cluster/configure';

/** The cluster settings form: load balancing, automatic failover, the heartbeat and the stale timeout. */
@Requires('administrator')
@Controller('administration/cluster/configure')
@UseFilters(FormRejectionFilter)
export class ClusterSettingsController {
  constructor(private readonly settings: ClusterSettingsService) {}

  @Get()
  @Render(VIEW)
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
  @Redirect(`/${VIEW}?saved=1`, 303)
  async save(@Body() body: unknown, @Actor() actor: string): Promise<void> {
    const again = (form: SettingsFormDto, state: Partial<SettingsFormState>, status: number) =>
      new FormRejection(
        VIEW,
        status,
        settingsFormModel({
          values: form.entered(),
          errors: {},
          warnings: [],
          ...state,
        } as SettingsFormState),
      );
    // Every field's problem at once: the rules' messages for the fields that were well-formed numbers, beside
    // the form's own messages for those that were not (which come first).
    const form = await acceptForm(SettingsFormDto, body, (errors, entered) =>
      again(
        entered,
        { errors: { ...settingsErrors(entered.values()), ...errors }, revision: entered.basedOnRevision() },
        HttpStatus.BAD_REQUEST,
      ),
    );
    const revision = form.basedOnRevision();
    await orReject(
      this.settings.update({ values: form.values(), basedOnRevision: revision, actor }),
      (error) => {
        if (error instanceof SettingsInvalidError)
          return again(form, { errors: error.fieldErrors, revision }, HttpStatus.BAD_REQUEST);
        if (error instanceof SettingsConflictError) {
          // Shown with what this person entered and the revision now current: saving again is a deliberate choice.
          return this.settings
            .get()
            .then((current) =>
              again(
                form,
                { conflict: { current, message: error.message }, revision: current.revision },
                HttpStatus.CONFLICT,
              ),
            );
        }
        return undefined;
      },
    );
  }
}
