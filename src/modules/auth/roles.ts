import { SetMetadata } from '@nestjs/common';

/**
 * What a person may do, each role including the ones before it: a viewer reads every page and every GET of
 * the API; an operator also drains, resumes, adds and removes components; an administrator also changes the
 * cluster settings, the webhooks and the users.
 */
export const ROLES = ['viewer', 'operator', 'administrator'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Whether `role` may do what `needed` may. */
export function atLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

/** What each role may do, in words, for refusals and the Users page. */
export const ROLE_POWERS: Record<Role, string> = {
  viewer: 'reads every page and the API, changes nothing',
  operator: 'also drains, resumes, adds and removes components',
  administrator: 'also changes the cluster settings, the webhooks and the users',
};

/** A role stored in the database, read leniently: anything unknown counts as the least (viewer). */
export function storedRole(value: string): Role {
  return isRole(value) ? value : 'viewer';
}

export const REQUIRED_ROLE = 'requiredRole';

/**
 * The role a route needs. Without it a GET or HEAD needs a viewer and anything else an administrator, so
 * that a route that changes something and forgot to say is closed to the lesser roles, not open.
 */
export const Requires = (role: Role) => SetMetadata(REQUIRED_ROLE, role);

export function defaultRequiredRole(method: string): Role {
  return method === 'GET' || method === 'HEAD' ? 'viewer' : 'administrator';
}
