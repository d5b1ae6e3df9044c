import { BadRequestException, ConflictException } from '@nestjs/common';
import type { SettingsField } from './settings-rules';

/** Values that break a rule; the API answers 400 naming the field, the form shows each message beside its field. */
export class SettingsInvalidError extends BadRequestException {
  constructor(readonly fieldErrors: Partial<Record<SettingsField, string>>) {
    super(
      Object.entries(fieldErrors)
        .map(([field, message]) => `${field}: ${message}`)
        .join('; '),
    );
  }
}

/** Someone saved the settings after the ones this change was based on were read. */
export class SettingsConflictError extends ConflictException {
  constructor(readonly currentRevision: number) {
    super(
      `The settings were changed by someone else meanwhile (now at revision ${currentRevision}); nothing was saved. Review the current settings and save again.`,
    );
  }
}
