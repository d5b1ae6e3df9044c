import { IsIn, IsOptional, IsString, Matches } from 'class-validator';

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

  @IsString({ message: 'The form is missing its revision; reload the page.' })
  @Matches(/^\d{1,9}$/, { message: 'The form is missing its revision; reload the page.' })
  revision: string;
}
