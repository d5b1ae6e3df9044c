import { IsBoolean, IsInt, IsOptional, Min } from 'class-validator';

/** PUT /api/cluster/settings: any of the four settings; fields left out keep their values. */
export class UpdateSettingsDto {
  @IsOptional()
  @IsBoolean({ message: 'loadBalancing must be true or false' })
  loadBalancing?: boolean;

  @IsOptional()
  @IsBoolean({ message: 'automaticFailover must be true or false' })
  automaticFailover?: boolean;

  @IsOptional()
  @IsInt({ message: 'heartbeatFrequencySeconds must be a whole number of seconds' })
  heartbeatFrequencySeconds?: number;

  @IsOptional()
  @IsInt({ message: 'staleTimeoutSeconds must be a whole number of seconds' })
  staleTimeoutSeconds?: number;

  /** The revision the change is based on (from GET); when given, a save made meanwhile makes this one fail with 409. */
  @IsOptional()
  @IsInt({ message: 'revision must be a whole number' })
  @Min(1, { message: 'revision must be a whole number' })
  revision?: number;
}
