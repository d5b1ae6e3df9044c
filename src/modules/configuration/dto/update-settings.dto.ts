import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsInt, Min, ValidateIf } from 'class-validator';

/** Absent means "keep the current value"; null is not a value and is refused like any other wrong type. */
const IfPresent = () => ValidateIf((_object, value) => value !== undefined);

/** PUT /api/cluster/settings: any of the settings; fields left out keep their values. */
export class UpdateSettingsDto {
  @ApiPropertyOptional({ type: Boolean })
  @IfPresent()
  @IsBoolean({ message: 'loadBalancing must be true or false' })
  loadBalancing?: boolean;

  @ApiPropertyOptional({ type: Boolean })
  @IfPresent()
  @IsBoolean({ message: 'automaticFailover must be true or false' })
  automaticFailover?: boolean;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 3600, description: 'Default 10' })
  @IfPresent()
  @IsInt({ message: 'heartbeatFrequencySeconds must be a whole number of seconds' })
  heartbeatFrequencySeconds?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 3,
    maximum: 86400,
    description: 'Default 60; at least three heartbeats',
  })
  @IfPresent()
  @IsInt({ message: 'staleTimeoutSeconds must be a whole number of seconds' })
  staleTimeoutSeconds?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    maximum: 10080,
    description:
      'Default 60: how long servers may run an older release than the newest before it is a warning (0: at once)',
  })
  @IfPresent()
  @IsInt({ message: 'upgradeWindowMinutes must be a whole number of minutes' })
  upgradeWindowMinutes?: number;

  /** The revision the change is based on (from GET); when given, a save made meanwhile makes this one fail with 409. */
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    description: 'The revision read before; 409 when the settings changed since',
  })
  @IfPresent()
  @IsInt({ message: 'revision must be a whole number' })
  @Min(1, { message: 'revision must be a whole number' })
  revision?: number;
}
