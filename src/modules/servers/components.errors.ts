import { ConflictException, NotFoundException } from '@nestjs/common';

export class ComponentNotFoundError extends NotFoundException {
  constructor(id: string) {
    super(`There is no component ${id} in the cluster (it may have been removed already).`);
  }
}

/** A manual addition that clashes with what is there; `field` is the form field the message belongs beside. */
export class ComponentConflictError extends ConflictException {
  constructor(
    readonly field: 'type' | 'os' | 'ipAddress',
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
