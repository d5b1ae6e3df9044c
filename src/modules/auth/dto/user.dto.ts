import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { normalizeName } from '../../../common/text-rules';
import { IsHonestName } from '../../../common/text-validators';
import { Role, ROLES } from '../roles';

const ROLE_MESSAGE = `role must be one of ${ROLES.join(', ')}`;

/** A new user: the Users page's form (and what `npm run admin -- add-user` checks). */
export class AddUserDto {
  @ApiProperty({ description: 'The name to sign in with', maxLength: 64, example: 'ada' })
  @Transform(({ value }) => normalizeName(value))
  @IsString({ message: 'username must be text' })
  @IsNotEmpty({ message: 'username must not be empty' })
  @MaxLength(64, { message: 'username must be at most 64 characters' })
  @IsHonestName('username')
  username: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES as unknown as string[], { message: ROLE_MESSAGE })
  role: Role;
}

/** Another role for a user. */
export class SetRoleDto {
  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES as unknown as string[], { message: ROLE_MESSAGE })
  role: Role;
}
