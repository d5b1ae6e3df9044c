import { IsBoolean, IsInt, Min, ValidateIf } from 'class-validator';

/** Absent means "keep the current value"; null is not a value and is refused like any other wrong type. */
const IfPresent = () => ValidateIf((_object, value) => value !== undefined);

/** PUT /api/cluster/settings: any of the four settings; fields left out keep their values. */
export class UpdateSettingsDto {
  @IfPresent()
  @IsBoolean({ message: 'loadBalancing must be true or false' })
  loadBalancing?: boolean;

  @IfPresent()
  @IsBoolean({ message: 'automaticFailover must be true or false' })
  automaticFailover?: boolean;

  @IfPresent()
  @IsInt({ message: 'heartbeatFrequencySeconds must be a whole number of seconds' })
  heartbeatFrequencySeconds?: number;

  @IfPresent()
  @IsInt({ message: 'staleTimeoutSeconds must be a whole number of seconds' })
  staleTimeoutSeconds?: number;

  /** The revision the change is based on (from GET); when given, a save made meanwhile makes this one fail with 409. */
  @IfPresent()
  @IsInt({ message: 'revision must be a whole number' })
  @Min(1, { message: 'revision must be a whole number' })
  revision?: number;
}
