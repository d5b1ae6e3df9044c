import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync } from 'class-validator';

export interface FormResult<T> {
  value: T;
  /** field name → the first message for it; empty when the form is valid */
  errors: Record<string, string>;
  valid: boolean;
}

/**
 * Validates an HTML form body against its DTO, for handlers that must show the form again with messages
 * beside the fields (the global ValidationPipe answers 400, which suits the API but not a person).
 * Fields the DTO does not declare, such as _csrf, are dropped.
 */
export function validateForm<T extends object>(dto: ClassConstructor<T>, body: unknown): FormResult<T> {
  const value = plainToInstance(dto, typeof body === 'object' && body !== null ? body : {});
  const errors: Record<string, string> = {};
  for (const error of validateSync(value, { whitelist: true, forbidUnknownValues: false })) {
    const first = mostBasicMessage(error.constraints ?? {});
    if (first && !errors[error.property]) errors[error.property] = first;
  }
  return { value, errors, valid: Object.keys(errors).length === 0 };
}

/** A missing or mistyped value fails every rule; name what is most basic (present, right type) first. */
const BASIC_FIRST = [
  'isDefined',
  'isNotEmpty',
  'isString',
  'isArray',
  'isInt',
  'isBoolean',
  'isIn',
  'isEnum',
  'maxLength',
];

export function mostBasicMessage(constraints: Record<string, string>): string | undefined {
  const basic = BASIC_FIRST.find((name) => constraints[name] !== undefined);
  return basic ? constraints[basic] : Object.values(constraints)[0];
}

/**
 * "os must not be empty" → "The operating system must not be empty": the API's messages name the JSON field;
 * a form names it by its label, for a person reading it.
 */
export function labelled(
  errors: Record<string, string>,
  labels: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(errors).map(([field, message]) => {
      const label = labels[field];
      return [
        field,
        label && message.startsWith(`${field} `) ? `${label}${message.slice(field.length)}` : message,
      ];
    }),
  );
}
