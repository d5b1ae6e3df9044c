import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayNotEmpty,
  ArrayUnique,
  IsArray,
  IsIn,
  IsNotEmpty,
  IsString,
  MaxLength,
  MinLength,
  registerDecorator,
} from 'class-validator';
import { normalizeName } from '../../../common/text-rules';
import { IsHonestName, IsPlainText } from '../../../common/text-validators';
import { urlProblem, WEBHOOK_EVENT_KINDS } from '../webhook-rules';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

function IsWebhookUrl() {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'isWebhookUrl',
      target: object.constructor,
      propertyName,
      options: { message: (args) => `url ${urlProblem(String(args.value)) ?? 'is not valid'}` },
      validator: { validate: (value: unknown) => typeof value !== 'string' || urlProblem(value) === null },
    });
}

/** A new webhook endpoint: the API body, and the Notifications page's form. */
export class AddWebhookDto {
  @ApiProperty({ description: 'A name to tell endpoints apart', maxLength: 100, example: 'On-call pager' })
  @Transform(({ value }) => normalizeName(value))
  @IsString({ message: 'name must be text' })
  @IsNotEmpty({ message: 'name must not be empty' })
  @MaxLength(100, { message: 'name must be at most 100 characters' })
  @IsHonestName('name')
  name: string;

  @ApiProperty({
    description: 'Where to POST events; stored encrypted, shown afterwards as scheme and host only',
    maxLength: 2000,
    example: 'https://hooks.example.com/cluster',
  })
  @Transform(trim)
  @IsString({ message: 'url must be text' })
  @IsNotEmpty({ message: 'url must not be empty' })
  @MaxLength(2000, { message: 'url must be at most 2000 characters' })
  @IsWebhookUrl()
  url: string;

  @ApiProperty({
    description:
      'Signs every body (X-Signature: sha256=HMAC-SHA256 in hex); stored encrypted, never shown again',
    minLength: 16,
    maxLength: 256,
  })
  @IsString({ message: 'secret must be text' })
  @MinLength(16, { message: 'secret must be at least 16 characters' })
  @MaxLength(256, { message: 'secret must be at most 256 characters' })
  @IsPlainText('secret')
  secret: string;

  @ApiProperty({
    description: 'The kinds of events to send',
    type: [String],
    enum: WEBHOOK_EVENT_KINDS,
    example: ['component-stale', 'primary-changed'],
  })
  @IsArray({ message: 'events must be a list of event kinds' })
  @ArrayNotEmpty({ message: 'events must name at least one kind of event' })
  @ArrayUnique({ message: 'events must not name a kind twice' })
  @IsIn(WEBHOOK_EVENT_KINDS as string[], {
    each: true,
    message: `events must contain only these kinds: ${WEBHOOK_EVENT_KINDS.join(', ')}`,
  })
  events: string[];
}
