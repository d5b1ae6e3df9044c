import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { errorSummary } from '../../common/error-summary';
import type { AppConfig } from '../environment/app-config';
import { APP_CONFIG } from '../environment/environment.tokens';
import { sha256Hex as hash } from './digest';
import { SESSION_LIFETIME_MS, SignedInUser } from './session';
import { SessionsRepository } from './sessions.repository';

/** A used session's last-seen time is written at most this often (a write per request would be waste). */
const TOUCH_EVERY_MS = 60_000;

/**
 * Server-side sign-in sessions: the cookie carries a random token, the shared database the record, so that
 * signing out, a password change or "sign out everywhere" ends sessions on every node at once. Idle and
 * lifetime limits are judged by the database's clock, as every node writes and reads these rows.
 */
@Injectable()
export class SessionsService {
  private readonly logger = new Logger(SessionsService.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly sessions: SessionsRepository,
  ) {}

  /** A new session for the user; the token goes into the signed cookie, never into the database. */
  async start(userId: string): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.sessions.create(hash(token), userId, SESSION_LIFETIME_MS, this.config.sessionIdleMs);
    return token;
  }

  /**
   * The user of a live session; null when it ended, expired or idled out. `used`: the request counts as
   * activity (false for a page refreshing itself).
   */
  async resolve(token: string, used = true): Promise<SignedInUser | null> {
    const idleMs = this.config.sessionIdleMs;
    const session = await this.sessions.findLive(hash(token), idleMs);
    if (!session) return null;
    if (used && session.nowMs - session.lastSeenAtMs >= Math.min(TOUCH_EVERY_MS, idleMs / 4)) {
      // Best effort: a page is never refused (when SQLite's lock is held elsewhere, or the write fails) for the
      // sake of a last-seen time; the next request writes it again. Waited for, so that the next request
      // (on any node) sees it.
      await this.sessions.touch(hash(token)).catch((error: unknown) => {
        this.logger.warn(`could not note that a session was used: ${errorSummary(error)}`);
      });
    }
    return { id: session.userId, username: session.username, role: session.role, signIn: session.signIn };
  }

  async end(token: string): Promise<void> {
    await this.sessions.delete(hash(token));
  }

  /** Ends all of the user's sessions except `keepToken`'s; how many ended. */
  endAllOf(userId: string, keepToken: string | null): Promise<number> {
    return this.sessions.deleteAllOf(userId, keepToken === null ? null : hash(keepToken));
  }
}
