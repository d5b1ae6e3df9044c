import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { AppConfig } from '../environment/app-config';
import { APP_CONFIG } from '../environment/environment.tokens';
import { PasswordHasher } from './password-hasher';
import { UsersRepository } from './users.repository';

export interface FirstAdministrator {
  username: string;
  /** Set only when this node generated the password: it is shown once, at this first start. */
  generatedPassword: string | null;
}

@Injectable()
export class AuthService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AuthService.name);
  /** Set when this start created the first administrator; main.ts tells the person at the console. */
  firstAdministrator: FirstAdministrator | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.firstAdministrator = await this.ensureFirstAdministrator();
  }

  /**
   * Creates the first administrator when there is no user yet: ADMIN_USERNAME with ADMIN_PASSWORD, or a
   * generated password. Returns null when users exist (the variables are then ignored) or when another
   * node created the administrator at the same moment.
   */
  async ensureFirstAdministrator(): Promise<FirstAdministrator | null> {
    if ((await this.users.countUsers()) > 0) return null;
    const generatedPassword = this.config.adminPassword ? null : randomBytes(12).toString('base64url');
    const password = this.config.adminPassword ?? generatedPassword!;
    const created = await this.users.createUnlessTaken(
      this.config.adminUsername,
      await this.hasher.hash(password),
    );
    if (!created) return null;
    this.logger.log(`created the first administrator "${this.config.adminUsername}"`);
    return { username: this.config.adminUsername, generatedPassword };
  }

  /**
   * For an administrator locked out (`npm run admin -- reset-password <user>`): a new random password, saved
   * as its hash and returned once to be shown; null when there is no such user.
   */
  async resetPassword(username: string): Promise<string | null> {
    const password = randomBytes(15).toString('base64url');
    return (await this.users.setPasswordHash(username, await this.hasher.hash(password))) ? password : null;
  }

  /** Saves a new password (the caller checked the current one and the rules). */
  async changePassword(userId: string, password: string): Promise<void> {
    await this.users.setPasswordHashById(userId, await this.hasher.hash(password));
  }

  /** The user, when the name and password match; null otherwise (without saying which was wrong). */
  async verifyCredentials(
    username: string,
    password: string,
  ): Promise<{ id: string; username: string } | null> {
    const user = await this.users.findByUsername(username);
    // Hash even for unknown names, so response time does not reveal which names exist.
    const matches = await this.hasher.verify(password, user?.passwordHash ?? DUMMY_HASH);
    return user && matches ? { id: user.id, username: user.username } : null;
  }
}

const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
