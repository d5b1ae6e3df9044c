import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';

/** POST /api/cluster/components/:id/drain: the body is optional. */
export class DrainComponentDto {
  @ApiPropertyOptional({
    description:
      'Required (true) to drain the last live, eligible, undrained service component: afterwards none can become primary if the primary stops',
  })
  @IsOptional()
  @IsBoolean({ message: 'confirmLastEligible must be true or false' })
  confirmLastEligible?: boolean;
}
