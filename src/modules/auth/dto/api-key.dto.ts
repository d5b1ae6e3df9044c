import { Transform } from 'class-transformer';
import { IsIn, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { normalizeName } from '../../../common/text-rules';
import { IsHonestName } from '../../../common/text-validators';
import { Role, ROLES } from '../roles';

/** A new API key of the signed-in person: the account page's form. */
export class CreateApiKeyDto {
  @Transform(({ value }) => normalizeName(value))
  @IsString({ message: 'name must be text' })
  @IsNotEmpty({ message: 'name must not be empty' })
  @MaxLength(100, { message: 'name must be at most 100 characters' })
  @IsHonestName('name')
  name: string;

  @IsIn(ROLES as unknown as string[], { message: `role must be one of ${ROLES.join(', ')}` })
  role: Role;
}
