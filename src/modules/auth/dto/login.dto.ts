import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsPlainText } from '../../../common/text-validators';

export class LoginDto {
  @IsString({ message: 'Enter your user name.' })
  @IsNotEmpty({ message: 'Enter your user name.' })
  @MaxLength(64, { message: 'A user name has at most 64 characters.' })
  @IsPlainText('The user name')
  username: string;

  @IsString({ message: 'Enter your password.' })
  @IsNotEmpty({ message: 'Enter your password.' })
  @MaxLength(1024, { message: 'A password has at most 1024 characters.' })
  @IsPlainText('The password', { allowTab: true })
  password: string;

  @IsOptional()
  @IsString()
  @MaxLength(2048)
  @IsPlainText('returnTo')
  returnTo?: string;
}
