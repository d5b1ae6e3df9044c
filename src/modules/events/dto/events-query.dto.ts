import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { IsPlainText } from '../../../common/text-validators';
import { EVENT_KINDS } from '../event';

export class EventsApiQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number from 1 to 500' })
  @Min(1, { message: 'limit must be a whole number from 1 to 500' })
  @Max(500, { message: 'limit must be a whole number from 1 to 500' })
  limit?: number;
}

export class EventsPageQueryDto {
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'page must be a whole number of at least 1' })
  @Min(1, { message: 'page must be a whole number of at least 1' })
  @Max(1_000_000, { message: 'page must be a whole number of at least 1' })
  page?: number;

  /** Only events about this server (its exact name). The filter form sends "" for "any". */
  @Transform(emptyIsAbsent)
  @IsOptional()
  @IsString({ message: 'server must be text' })
  @MaxLength(100, { message: 'server must be at most 100 characters' })
  @IsPlainText('server')
  server?: string;

  /** Only events about this kind of component. */
  @Transform(emptyIsAbsent)
  @IsOptional()
  @IsIn(['web', 'service'], { message: 'component must be web or service' })
  component?: 'web' | 'service';

  @Transform(emptyIsAbsent)
  @IsOptional()
  @IsIn(EVENT_KINDS, { message: `kind must be one of ${EVENT_KINDS.join(', ')}` })
  kind?: string;
}

function emptyIsAbsent({ value }: { value: unknown }): unknown {
  return value === '' ? undefined : value;
}
