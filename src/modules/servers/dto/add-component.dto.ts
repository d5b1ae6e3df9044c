import { Transform } from 'class-transformer';
import { IsIn, IsIP, IsNotEmpty, IsString, Matches, MaxLength } from 'class-validator';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** A manually added component: the API body and the form are the same five fields. */
export class AddComponentDto {
  @Transform(trim)
  @IsString({ message: 'serverName must be text' })
  @IsNotEmpty({ message: 'serverName must not be empty' })
  @MaxLength(100, { message: 'serverName must be at most 100 characters' })
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  @Matches(/^[^\x00-\x1f\x7f]*$/, { message: 'serverName must not contain control characters' })
  serverName: string;

  @Transform(trim)
  @IsString({ message: 'os must be text' })
  @IsNotEmpty({ message: 'os must not be empty' })
  @MaxLength(200, { message: 'os must be at most 200 characters' })
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  @Matches(/^[^\x00-\x1f\x7f]*$/, { message: 'os must not contain control characters' })
  os: string;

  @Transform(trim)
  @IsString({ message: 'ipAddress must be text' })
  @IsNotEmpty({ message: 'ipAddress must not be empty' })
  @IsIP(undefined, { message: 'ipAddress must be an IPv4 or IPv6 address' })
  ipAddress: string;

  @IsString({ message: 'type must be web or service' })
  @IsIn(['web', 'service'], { message: 'type must be web or service' })
  type: 'web' | 'service';

  @Transform(trim)
  @IsString({ message: 'version must be text' })
  @IsNotEmpty({ message: 'version must not be empty' })
  @MaxLength(50, { message: 'version must be at most 50 characters' })
  @Matches(/^[0-9A-Za-z][0-9A-Za-z.+_-]*$/, {
    message: 'version must look like 1.2.3 (letters, digits, . + _ -)',
  })
  version: string;
}
