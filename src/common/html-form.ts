import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { ClassConstructor } from 'class-transformer';
import type { Response } from 'express';
import { validateForm } from './form-validation';

/**
 * The one way an HTML form handler refuses what a person sent: the page is shown again, with what they
 * entered and a message beside each field, under a 4xx status. Handlers throw it (or let `acceptForm` and
 * `orReject` throw it) and stay a few lines long; `FormRejectionFilter` renders it.
 */
export class FormRejection extends Error {
  constructor(
    readonly view: string,
    readonly status: number,
    readonly model: object,
  ) {
    super(`form rejected with ${status}`);
  }
}

/** Renders a FormRejection. Controllers with forms apply it with `@UseFilters(FormRejectionFilter)`. */
@Catch(FormRejection)
export class FormRejectionFilter implements ExceptionFilter {
  catch(rejection: FormRejection, host: ArgumentsHost): void {
    host
      .switchToHttp()
      .getResponse<Response>()
      .status(rejection.status)
      .render(rejection.view, rejection.model);
  }
}

type Rejecting = FormRejection | Promise<FormRejection>;

/** The form's value when it satisfies its DTO; otherwise throws what `reject` makes of the field messages. */
export async function acceptForm<T extends object>(
  dto: ClassConstructor<T>,
  body: unknown,
  reject: (errors: Record<string, string>, value: T) => Rejecting,
): Promise<T> {
  const form = validateForm(dto, body);
  if (!form.valid) throw await reject(form.errors, form.value);
  return form.value;
}

/**
 * The result of `work`; a domain error that `reject` turns into a FormRejection is thrown as one, so the
 * person sees the form again with the reason, and any other error goes on to the global filter.
 */
export async function orReject<T>(
  work: Promise<T>,
  reject: (error: unknown) => Rejecting | undefined,
): Promise<T> {
  try {
    return await work;
  } catch (error) {
    const rejection = reject(error);
    throw rejection ? await rejection : error;
  }
}

/** A form field's value when the body is a form; undefined for anything else. */
export function field(body: unknown, name: string): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
}

/** A value the form sent, as text to show the form again: '' for anything that is not text. */
export function asText(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** A form field as text to show again (see asText). */
export function textField(body: unknown, name: string): string {
  return asText(field(body, name));
}
