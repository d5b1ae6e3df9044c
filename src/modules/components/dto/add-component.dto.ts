import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsIP, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { normalizeName } from '../../../common/text-rules';
import { IsHonestName, IsSemanticVersion } from '../../../common/text-validators';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const normalized = ({ value }: { value: unknown }) => normalizeName(value);

/** A manually added component: the API body and the form are the same five fields. */
export class AddComponentDto {
  @ApiProperty({
    description: "The server's name (a server that does not exist yet is created)",
    maxLength: 100,
    example: 'node-4',
  })
  @Transform(normalized)
  @IsString({ message: 'serverName must be text' })
  @IsNotEmpty({ message: 'serverName must not be empty' })
  @MaxLength(100, { message: 'serverName must be at most 100 characters' })
  @IsHonestName('serverName')
  serverName: string;

  @ApiProperty({
    description: 'Operating system and version',
    maxLength: 200,
    example: 'Linux 6.1.0 (Debian 12)',
  })
  @Transform(normalized)
  @IsString({ message: 'os must be text' })
  @IsNotEmpty({ message: 'os must not be empty' })
  @MaxLength(200, { message: 'os must be at most 200 characters' })
  @IsHonestName('os')
  os: string;

  @ApiProperty({ description: 'IPv4 or IPv6 address', example: '10.0.0.8' })
  @Transform(trim)
  @IsString({ message: 'ipAddress must be text' })
  @IsNotEmpty({ message: 'ipAddress must not be empty' })
  @IsIP(undefined, { message: 'ipAddress must be an IPv4 or IPv6 address' })
  ipAddress: string;

  @ApiProperty({ enum: ['web', 'service'] })
  @IsString({ message: 'type must be web or service' })
  @IsIn(['web', 'service'], { message: 'type must be web or service' })
  type: 'web' | 'service';

  @ApiProperty({ description: 'A semantic version', maxLength: 50, example: '1.4.0' })
  @Transform(trim)
  @IsString({ message: 'version must be text' })
  @IsNotEmpty({ message: 'version must not be empty' })
  @MaxLength(50, { message: 'version must be at most 50 characters' })
  @IsSemanticVersion('version')
  version: string;
}
