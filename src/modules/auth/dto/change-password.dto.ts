import { IsNotEmpty, IsString, MaxLength, MinLength } from 'class-validator';
import { IsPlainText } from '../../../common/text-validators';

export const MIN_PASSWORD_LENGTH = 12;

export class ChangePasswordDto {
  @IsString({ message: 'Enter your current password.' })
  @IsNotEmpty({ message: 'Enter your current password.' })
  @MaxLength(1024, { message: 'A password has at most 1024 characters.' })
  @IsPlainText('The password', { allowTab: true })
  currentPassword: string;

  @IsString({ message: 'Enter a new password.' })
  @IsNotEmpty({ message: 'Enter a new password.' })
  @MinLength(MIN_PASSWORD_LENGTH, {
    message: `The new password needs at least ${MIN_PASSWORD_LENGTH} characters.`,
  })
  @MaxLength(1024, { message: 'A password has at most 1024 characters.' })
  @IsPlainText('The new password', { allowTab: true })
  newPassword: string;

  @IsString({ message: 'Enter the new password again.' })
  @IsNotEmpty({ message: 'Enter the new password again.' })
  @MaxLength(1024, { message: 'A password has at most 1024 characters.' })
  confirmPassword: string;
}
