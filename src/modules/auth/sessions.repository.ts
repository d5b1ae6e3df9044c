import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';

export interface LiveSession {
  userId: string;
  username: string;
  lastSeenAtMs: number;
}

/**
 * Sign-in sessions in the shared database, by the SHA-256 of their token. Times are the nodes' clocks
 * (passed in, so tests control them): a few seconds of skew between nodes do not matter against a
 * 30-minute idle timeout.
 */
@Injectable()
export class SessionsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Records a new session, and removes the expired ones of every user while at it. */
  async create(tokenHash: string, userId: string, nowMs: number, expiresAtMs: number, idleMs: number) {
    await this.prisma.whileLocked(() =>
      this.prisma.client.$transaction([
        this.prisma.client.$executeRaw`
          INSERT INTO sessions (token_hash, user_id, created_at_ms, last_seen_at_ms, expires_at_ms)
          VALUES (${tokenHash}, ${userId}, ${BigInt(nowMs)}, ${BigInt(nowMs)}, ${BigInt(expiresAtMs)})`,
        this.prisma.client.$executeRaw`
          DELETE FROM sessions WHERE expires_at_ms <= ${BigInt(nowMs)} OR last_seen_at_ms <= ${BigInt(nowMs - idleMs)}`,
      ]),
    );
  }

  /** The session's user, when the session exists, has not expired and has been used within `idleMs`. */
  async findLive(tokenHash: string, nowMs: number, idleMs: number): Promise<LiveSession | null> {
    const rows = await this.prisma.client.$queryRaw<
      { user_id: string; username: string; last_seen_at_ms: bigint | number }[]
    >`
      SELECT s.user_id, u.username, s.last_seen_at_ms
      FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.token_hash = ${tokenHash} AND s.expires_at_ms > ${BigInt(nowMs)}
        AND s.last_seen_at_ms > ${BigInt(nowMs - idleMs)}`;
    if (rows.length === 0) return null;
    return {
      userId: rows[0].user_id,
      username: rows[0].username,
      lastSeenAtMs: Number(rows[0].last_seen_at_ms),
    };
  }

  async touch(tokenHash: string, nowMs: number): Promise<void> {
    await this.prisma.whileLocked(
      () => this.prisma.client.$executeRaw`
        UPDATE sessions SET last_seen_at_ms = ${BigInt(nowMs)} WHERE token_hash = ${tokenHash}`,
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
