import { HttpStatus, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { PasswordHasher } from './password-hasher';
import { Role, ROLE_POWERS } from './roles';
import { ROLES_SINCE, UserChangeRefusal, UserListing, UserRef, UsersRepository } from './users.repository';

/** A change of users that was not made, with what to tell the person and the HTTP status that says so. */
export class UserChangeRefused extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Users and their roles, for the Users page and `npm run admin`. Every change writes its event naming who
 * made it; removing a user ends their sessions on every node at once, and a new role applies from the user's
 * next request (every request reads it from the database).
 */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
  ) {}

  list(): Promise<UserListing[]> {
    return this.users.list();
  }

  /** Adds a user with a generated password, returned once to be shown (only its hash is kept). */
  async add(username: string, role: Role, actor: string): Promise<string> {
    const password = randomBytes(15).toString('base64url');
    const result = await this.users.add(username, role, await this.hasher.hash(password), {
      kind: 'user-added',
      actor,
      message: `Added the user "${username}" as ${role} (${ROLE_POWERS[role]}).`,
    });
    if (result.refused !== null) throw refusal(result, username);
    return password;
  }

  /** Gives a user another role; the role they had. */
  async setRole(ref: UserRef, role: Role, actor: string): Promise<{ username: string; previous: Role }> {
    const result = await this.users.setRole(ref, role, (username, previous) => ({
      kind: 'user-role-changed',
      actor,
      message: `"${username}" is now ${role} (was ${previous}).`,
    }));
    if (result.refused !== null) throw refusal(result, nameOf(ref));
    return { username: result.username, previous: result.previous };
  }

  /** Removes a user and ends their sessions everywhere; their name. */
  async remove(ref: UserRef, actor: string): Promise<string> {
    const result = await this.users.remove(ref, (username, role) => ({
      kind: 'user-removed',
      actor,
      message: `Removed the user "${username}" (${role}); their sessions ended.`,
    }));
    if (result.refused !== null) throw refusal(result, nameOf(ref));
    return result.username;
  }
}

function nameOf(ref: UserRef): string | null {
  return 'username' in ref ? ref.username : null;
}

function refusal(result: UserChangeRefusal, username: string | null): UserChangeRefused {
  const who = username === null ? 'That user' : `"${username}"`;
  switch (result.refused) {
    case 'missing':
      return new UserChangeRefused(
        HttpStatus.NOT_FOUND,
        username === null ? 'There is no such user.' : `There is no user "${username}".`,
      );
    case 'taken':
      return new UserChangeRefused(HttpStatus.CONFLICT, `There is a user "${username}" already.`);
    case 'last-administrator':
      return new UserChangeRefused(
        HttpStatus.CONFLICT,
        `${who} is the last administrator: make another user an administrator first.`,
      );
    case 'directory-managed':
      return new UserChangeRefused(
        HttpStatus.CONFLICT,
        `${who} signs in through single sign-on: the directory's groups give the role at every sign-in ` +
          '(OIDC_ROLE_MAPPING). Change the groups there.',
      );
    case 'older-release-live':
      return new UserChangeRefused(
        HttpStatus.CONFLICT,
        `Users cannot change while a node of release ${result.live.join(', ')} is running: releases before ` +
          `${ROLES_SINCE} know no roles and would let every user administer. Finish the upgrade first ` +
          `(docs/upgrades.md).`,
      );
  }
}
