import { ConflictException, NotFoundException } from '@nestjs/common';

export class ComponentNotFoundError extends NotFoundException {
  constructor(id: string) {
    super(`There is no component ${id} in the cluster (it may have been removed already).`);
  }
}

/**
 * A manual addition that clashes with what is there: `field` is the form field the `detail` belongs beside
 * on the page; the API's message names the field.
 */
export class ComponentConflictError extends ConflictException {
  constructor(
    readonly field: 'type' | 'os' | 'ipAddress',
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`);
  }
}

/** A drain the cluster refuses: a web component, or the last eligible one without the second confirmation. */
export class DrainRefusedError extends ConflictException {
  constructor(
    readonly reason: 'web-component' | 'last-eligible',
    message: string,
  ) {
    super(message);
  }
}
