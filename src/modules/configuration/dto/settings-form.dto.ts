import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import type { SettingsValues } from '../settings-rules';

const WHOLE_SECONDS = /^\s*\d{1,9}\s*$/;

/** The settings form as the browser sends it: text fields and checkboxes ("on" when ticked, absent when not). */
export class SettingsFormDto {
  @IsOptional()
  @IsIn(['on'], { message: 'Tick the box or leave it empty.' })
  loadBalancing?: string;

  @IsOptional()
  @IsIn(['on'], { message: 'Tick the box or leave it empty.' })
  automaticFailover?: string;

  @IsString({ message: 'Enter a whole number of seconds.' })
  @Matches(WHOLE_SECONDS, { message: 'Enter a whole number of seconds.' })
  heartbeatFrequencySeconds: string;

  @IsString({ message: 'Enter a whole number of seconds.' })
  @Matches(WHOLE_SECONDS, { message: 'Enter a whole number of seconds.' })
  staleTimeoutSeconds: string;

  /** Absent from a form that a node of an older release rendered: the saved value is kept. */
  @IsOptional()
  @IsString({ message: 'Enter a whole number of minutes.' })
  @Matches(WHOLE_SECONDS, { message: 'Enter a whole number of minutes.' })
  upgradeWindowMinutes?: string;

  @IsString({ message: 'The form is missing its revision; reload the page.' })
  @Matches(/^\d{1,9}$/, { message: 'The form is missing its revision; reload the page.' })
  revision: string;

  /** What the person entered, to show the form again: ticked boxes as booleans, numbers as typed. */
  entered(): EnteredSettings {
    return {
      loadBalancing: this.loadBalancing === 'on',
      automaticFailover: this.automaticFailover === 'on',
      heartbeatFrequencySeconds: this.heartbeatFrequencySeconds,
      staleTimeoutSeconds: this.staleTimeoutSeconds,
      upgradeWindowMinutes: this.upgradeWindowMinutes ?? '',
    };
  }

  /** The revision the form was based on (0 when it is missing or garbled: the save then fails on it). */
  basedOnRevision(): number {
    return Number(this.revision) || 0;
  }

  /** The settings a valid form asks for (the upgrade window only when the form had the field). */
  values(): Omit<SettingsValues, 'upgradeWindowMinutes'> & { upgradeWindowMinutes?: number } {
    return {
      ...(this.upgradeWindowMinutes === undefined
        ? {}
        : { upgradeWindowMinutes: Number(this.upgradeWindowMinutes) }),
      loadBalancing: this.loadBalancing === 'on',
      automaticFailover: this.automaticFailover === 'on',
      heartbeatFrequencySeconds: Number(this.heartbeatFrequencySeconds),
      staleTimeoutSeconds: Number(this.staleTimeoutSeconds),
    };
  }
}

/** The form's values as the page shows them again. */
export interface EnteredSettings {
  loadBalancing: boolean;
  automaticFailover: boolean;
  heartbeatFrequencySeconds: number | string;
  staleTimeoutSeconds: number | string;
  upgradeWindowMinutes: number | string;
}
