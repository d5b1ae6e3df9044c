import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { compareVersions } from '../../common/versions';
import { Prisma } from '../../generated/sqlite/client';
import { PrismaService, STARTUP_LOCK_BUDGET_MS } from '../database/prisma.service';
import type { NewEvent } from '../events/event';
import { insertEventSql } from '../events/event-sql';
import { liveReleasesSql } from '../upgrade/release-sql';
import { Role, storedRole } from './roles';

export interface UserRecord {
  id: string;
  username: string;
  passwordHash: string;
}

/** A user as the Users page lists it. */
export interface UserListing {
  id: string;
  username: string;
  role: Role;
  /** The database's clock at the last sign-in; null before the first. */
  lastSignInAtMs: number | null;
  signIn: string;
  createdAt: Date;
}

/** The first release that knows roles: an older live node would let every user do everything. */
export const ROLES_SINCE = '1.6.0';

/** Why a change of users was not made (nothing was written). */
export type UserChangeRefusal =
  | { refused: 'missing' }
  | { refused: 'taken' }
  | { refused: 'last-administrator' }
  | { refused: 'directory-managed' }
  | { refused: 'older-release-live'; live: string[] };

export type UserChange<T = object> = ({ refused: null } & T) | UserChangeRefusal;

/** What a user record holds in place of a password hash when the user signs in through single sign-on. */
export const NO_PASSWORD = 'sso:no-password';

/** A person the identity provider signed in: who they are there, the name they go by, the mapping's role. */
export interface DirectoryPerson {
  subject: string;
  username: string;
  role: Role;
}

/** A user named by the commands (by name) or by the pages (by id). */
export type UserRef = { username: string } | { id: string };

@Injectable()
export class UsersRepository {
  constructor(private readonly prisma: PrismaService) {}

  async countUsers(): Promise<number> {
    return this.prisma.client.user.count();
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    return this.prisma.client.user.findUnique({
      where: { username },
      select: { id: true, username: true, passwordHash: true },
    });
  }

  /** Every user, by name. */
  async list(): Promise<UserListing[]> {
    const users = await this.prisma.client.user.findMany({
      orderBy: { username: 'asc' },
      select: { id: true, username: true, role: true, lastSignInAtMs: true, signIn: true, createdAt: true },
    });
    return users.map((user) => ({
      ...user,
      role: storedRole(user.role),
      lastSignInAtMs: user.lastSignInAtMs === null ? null : Number(user.lastSignInAtMs),
    }));
  }

  /** false when a user of that name exists already (another node created the first administrator first). */
  async createUnlessTaken(username: string, passwordHash: string): Promise<boolean> {
    const id = randomUUID();
    const created = await this.prisma.whileLocked(
      () => this.prisma.client.$executeRaw`
        INSERT INTO users (id, username, password_hash, created_at, role)
        VALUES (${id}, ${username}, ${passwordHash}, ${new Date()}, 'administrator')
        ON CONFLICT (username) DO NOTHING`,
      STARTUP_LOCK_BUDGET_MS,
    );
    return created > 0;
  }

  /** A new user with a role, and its event; refused when the name is taken or an older release is live. */
  async add(
    username: string,
    role: Role,
    passwordHash: string,
    event: NewEvent,
  ): Promise<UserChange<{ id: string }>> {
    return this.change<{ id: string }>(async (tx) => {
      const id = randomUUID();
      const created = await tx.$executeRaw`
        INSERT INTO users (id, username, password_hash, created_at, role)
        VALUES (${id}, ${username}, ${passwordHash}, ${new Date()}, ${role})
        ON CONFLICT (username) DO NOTHING`;
      if (created === 0) return { refused: 'taken' };
      await tx.$executeRaw(insertEventSql(event, null, this.prisma.nowMsSql()));
      return { refused: null, id };
    });
  }

  /**
   * Gives the user another role, with its event (none when the role is the same); the last administrator
   * keeps theirs. The user's sessions stay: each request reads the role again.
   */
  async setRole(
    ref: UserRef,
    role: Role,
    event: (username: string, previous: Role) => NewEvent,
  ): Promise<UserChange<{ username: string; previous: Role }>> {
    return this.change<{ username: string; previous: Role }>(async (tx) => {
      const user = await this.lockedUser(tx, ref);
      if (!user) return { refused: 'missing' };
      // The directory's groups give this user's role at every sign-in: a role set here would not last.
      if (user.sign_in === 'sso') return { refused: 'directory-managed' };
      const previous = storedRole(user.role);
      if (previous === role) return { refused: null, username: user.username, previous };
      if (previous === 'administrator' && (await this.otherAdministrators(tx, user.id)) === 0)
        return { refused: 'last-administrator' };
      await tx.$executeRaw`UPDATE users SET role = ${role} WHERE id = ${user.id}`;
      await tx.$executeRaw(insertEventSql(event(user.username, previous), null, this.prisma.nowMsSql()));
      return { refused: null, username: user.username, previous };
    });
  }

  /** Removes the user and ends their sessions on every node, with its event; never the last administrator. */
  async remove(
    ref: UserRef,
    event: (username: string, role: Role) => NewEvent,
  ): Promise<UserChange<{ username: string; role: Role }>> {
    return this.change<{ username: string; role: Role }>(async (tx) => {
      const user = await this.lockedUser(tx, ref);
      if (!user) return { refused: 'missing' };
      const role = storedRole(user.role);
      if (role === 'administrator' && (await this.otherAdministrators(tx, user.id)) === 0)
        return { refused: 'last-administrator' };
      await tx.$executeRaw`DELETE FROM sessions WHERE user_id = ${user.id}`;
      await tx.$executeRaw`DELETE FROM users WHERE id = ${user.id}`;
      await tx.$executeRaw(insertEventSql(event(user.username, role), null, this.prisma.nowMsSql()));
      return { refused: null, username: user.username, role };
    });
  }

  /**
   * The user record of a person the identity provider signed in, found by their subject (the name may have
   * changed there: it changes here too), or made; their role is the one the mapping gives now, whatever it
   * was (the directory decides, the last administrator included), with an event when it changes. Never
   * takes over a user of the same name who signs in with a password, or another subject's.
   */
  async signInFromDirectory(
    person: DirectoryPerson,
    events: {
      added: NewEvent;
      roleChanged: (previous: Role) => NewEvent;
    },
  ): Promise<UserChange<{ id: string; previous: Role | null }>> {
    return this.change<{ id: string; previous: Role | null }>(async (tx) => {
      const known = await tx.$queryRaw<{ id: string; username: string; role: string }[]>`
        SELECT id, username, role FROM users WHERE sso_subject = ${person.subject}`;
      const now = this.prisma.nowMsSql();
      if (known.length === 0) {
        const id = randomUUID();
        const created = await tx.$executeRaw`
          INSERT INTO users (id, username, password_hash, created_at, role, sign_in, sso_subject)
          VALUES (${id}, ${person.username}, ${NO_PASSWORD}, ${new Date()}, ${person.role}, 'sso', ${person.subject})
          ON CONFLICT (username) DO NOTHING`;
        if (created === 0) return { refused: 'taken' };
        await tx.$executeRaw(insertEventSql(events.added, null, now));
        return { refused: null, id, previous: null };
      }
      const user = known[0];
      if (user.username !== person.username) {
        const taken = await tx.$queryRaw<{ id: string }[]>`
          SELECT id FROM users WHERE username = ${person.username}`;
        if (taken.length > 0) return { refused: 'taken' };
        await tx.$executeRaw`UPDATE users SET username = ${person.username} WHERE id = ${user.id}`;
      }
      const previous = storedRole(user.role);
      if (previous !== person.role) {
        await tx.$executeRaw`UPDATE users SET role = ${person.role} WHERE id = ${user.id}`;
        await tx.$executeRaw(insertEventSql(events.roleChanged(previous), null, now));
      }
      return { refused: null, id: user.id, previous };
    });
  }

  /**
   * Sets the password and ends every session of the user, on every node; false when there is no such user
   * who signs in with a password (a single sign-on user has none to set).
   */
  async setPasswordHash(username: string, passwordHash: string): Promise<boolean> {
    const [updated] = await this.prisma.whileLocked(
      () =>
        this.prisma.client.$transaction([
          this.prisma.client.user.updateMany({
            where: { username, signIn: 'password' },
            data: { passwordHash },
          }),
          this.prisma.client.$executeRaw`
            DELETE FROM sessions WHERE user_id IN (
              SELECT id FROM users WHERE username = ${username} AND sign_in = 'password')`,
        ]),
      STARTUP_LOCK_BUDGET_MS,
    );
    return updated.count > 0;
  }

  async setPasswordHashById(id: string, passwordHash: string): Promise<void> {
    await this.prisma.whileLocked(() =>
      this.prisma.client.user.update({ where: { id }, data: { passwordHash } }),
    );
  }

  /**
   * One change of users, in one transaction that first takes the users' lock: on PostgreSQL the rows of
   * every administrator (so that two administrators demoting each other at once cannot both succeed: the
   * second sees the first's change), on SQLite the database's one write lock. Refused while a node of a
   * release before ROLES_SINCE is live: such a node knows no roles and would let every user administer.
   */
  private change<T>(work: (tx: Prisma.TransactionClient) => Promise<UserChange<T>>): Promise<UserChange<T>> {
    return this.prisma.transaction(async (tx): Promise<UserChange<T>> => {
      if (this.prisma.kind === 'postgresql')
        await tx.$queryRaw`SELECT id FROM users WHERE role = 'administrator' FOR UPDATE`;
      else await tx.$executeRaw`UPDATE users SET id = id WHERE 0 = 1`;
      const live = (await tx.$queryRaw<{ version: string }[]>(liveReleasesSql(this.prisma.nowMsSql())))
        .map((row) => row.version)
        .filter((version) => compareVersions(version, ROLES_SINCE) < 0);
      if (live.length > 0) return { refused: 'older-release-live', live };
      return work(tx);
    });
  }

  private async lockedUser(tx: Prisma.TransactionClient, ref: UserRef) {
    const rows = await tx.$queryRaw<{ id: string; username: string; role: string; sign_in: string }[]>(
      'id' in ref
        ? Prisma.sql`SELECT id, username, role, sign_in FROM users WHERE id = ${ref.id}`
        : Prisma.sql`SELECT id, username, role, sign_in FROM users WHERE username = ${ref.username}`,
    );
    return rows[0] ?? null;
  }

  private async otherAdministrators(tx: Prisma.TransactionClient, id: string): Promise<number> {
    const rows = await tx.$queryRaw<{ n: bigint | number }[]>`
      SELECT COUNT(*) AS n FROM users WHERE role = 'administrator' AND id <> ${id}`;
    return Number(rows[0].n);
  }
}
