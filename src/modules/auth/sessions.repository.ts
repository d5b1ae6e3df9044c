import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
import { Role, storedRole } from './roles';

export interface LiveSession {
  userId: string;
  username: string;
  role: Role;
  signIn: string;
  lastSeenAtMs: number;
  /** The database's "now" when the session was read. */
  nowMs: number;
}

/**
 * Sign-in sessions in the shared database, by the SHA-256 of their token. Every time is the database's
 * clock: a session written by one node is judged by another, whose clock may be minutes off.
 */
@Injectable()
export class SessionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Records a new session (a sign-in: the user's last sign-in time too), and removes the expired ones of
   * every user while at it.
   */
  async create(tokenHash: string, userId: string, lifetimeMs: number, idleMs: number) {
    const now = this.prisma.nowMsSql();
    await this.prisma.whileLocked(() =>
      this.prisma.client.$transaction([
        this.prisma.client.$executeRaw`
          INSERT INTO sessions (token_hash, user_id, created_at_ms, last_seen_at_ms, expires_at_ms)
          SELECT ${tokenHash}, ${userId}, n.now_ms, n.now_ms, n.now_ms + ${BigInt(lifetimeMs)}
          FROM (SELECT ${now} AS now_ms) n`,
        this.prisma.client.$executeRaw`UPDATE users SET last_sign_in_at_ms = ${now} WHERE id = ${userId}`,
        this.prisma.client.$executeRaw`
          DELETE FROM sessions WHERE expires_at_ms <= ${now} OR last_seen_at_ms <= ${now} - ${BigInt(idleMs)}`,
      ]),
    );
  }

  /** The session's user, when the session exists, has not expired and has been used within `idleMs`. */
  async findLive(tokenHash: string, idleMs: number): Promise<LiveSession | null> {
    const rows = await this.prisma.client.$queryRaw<
      {
        user_id: string;
        username: string;
        role: string;
        sign_in: string;
        last_seen_at_ms: bigint | number;
        now_ms: bigint | number;
      }[]
    >`
      SELECT s.user_id, u.username, u.role, u.sign_in, s.last_seen_at_ms, n.now_ms
      FROM (SELECT ${this.prisma.nowMsSql()} AS now_ms) n
      JOIN sessions s ON s.token_hash = ${tokenHash}
      JOIN users u ON u.id = s.user_id
      WHERE s.expires_at_ms > n.now_ms AND s.last_seen_at_ms > n.now_ms - ${BigInt(idleMs)}`;
    if (rows.length === 0) return null;
    return {
      userId: rows[0].user_id,
      username: rows[0].username,
      role: storedRole(rows[0].role),
      signIn: rows[0].sign_in,
      lastSeenAtMs: Number(rows[0].last_seen_at_ms),
      nowMs: Number(rows[0].now_ms),
    };
  }

  async touch(tokenHash: string): Promise<void> {
    await this.prisma.whileLocked(
      () => this.prisma.client.$executeRaw`
        UPDATE sessions SET last_seen_at_ms = ${this.prisma.nowMsSql()} WHERE token_hash = ${tokenHash}`,
    );
  }

  async delete(tokenHash: string): Promise<void> {
    await this.prisma.whileLocked(
      () => this.prisma.client.$executeRaw`DELETE FROM sessions WHERE token_hash = ${tokenHash}`,
    );
  }

  /** Ends every session of the user but `keep` (the one asking, or none); how many ended. */
  async deleteAllOf(userId: string, keep: string | null): Promise<number> {
    return this.prisma.whileLocked(
      () => this.prisma.client.$executeRaw`
        DELETE FROM sessions WHERE user_id = ${userId} AND token_hash <> ${keep ?? ''}`,
    );
  }
}
