import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { PrismaService } from '../database/prisma.service';
import type { NewEvent } from '../events/event';
import { insertEventWhereReadable } from '../events/event-sql';
import { Role, storedRole } from './roles';

export interface ApiKeyListing {
  id: string;
  name: string;
  role: Role;
  createdAtMs: number;
  lastUsedAtMs: number | null;
}

/** A key found by its hash, with its owner as the database says now. */
export interface LiveApiKey {
  id: string;
  name: string;
  role: Role;
  username: string;
  userRole: Role;
  lastUsedAtMs: number | null;
  nowMs: number;
}

/** At most this many keys per person: enough for every script, and a bound on what a form can make. */
export const MAX_KEYS_PER_USER = 20;

/** People's API keys, by the SHA-256 of the key (the key itself is never stored). Times: the database's. */
@Injectable()
export class ApiKeysRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * A new key, with its event (while every live release can show it: during an upgrade from a release
   * before 1.6.0 the key is made without one); refused when the owner has one of that name, or has
   * MAX_KEYS_PER_USER already.
   */
  async create(
    userId: string,
    name: string,
    keyHash: string,
    role: Role,
    event: NewEvent,
  ): Promise<{ created: true; id: string } | { created: false; reason: 'taken' | 'too-many' }> {
    const id = randomUUID();
    return this.prisma.transaction(async (tx) => {
      // Taken first on SQLite (its one write lock) and on PostgreSQL the owner's row, so that two forms
      // sent at once cannot pass the count together.
      await tx.$executeRaw`UPDATE users SET id = id WHERE id = ${userId}`;
      const [{ n }] = await tx.$queryRaw<{ n: bigint | number }[]>`
        SELECT COUNT(*) AS n FROM api_keys WHERE user_id = ${userId}`;
      if (Number(n) >= MAX_KEYS_PER_USER) return { created: false, reason: 'too-many' };
      const inserted = await tx.$executeRaw`
        INSERT INTO api_keys (id, user_id, name, key_hash, role, created_at_ms)
        VALUES (${id}, ${userId}, ${name}, ${keyHash}, ${role}, ${this.prisma.nowMsSql()})
        ON CONFLICT (user_id, name) DO NOTHING`;
      if (inserted === 0) return { created: false, reason: 'taken' };
      await insertEventWhereReadable(tx, event, this.prisma.nowMsSql());
      return { created: true, id };
    });
  }

  async listOf(userId: string): Promise<ApiKeyListing[]> {
    const keys = await this.prisma.client.apiKey.findMany({
      where: { userId },
      orderBy: { name: 'asc' },
      select: { id: true, name: true, role: true, createdAtMs: true, lastUsedAtMs: true },
    });
    return keys.map((key) => ({
      ...key,
      role: storedRole(key.role),
      createdAtMs: Number(key.createdAtMs),
      lastUsedAtMs: key.lastUsedAtMs === null ? null : Number(key.lastUsedAtMs),
    }));
  }

  /** Revokes one of the owner's keys (another person's is not found), with its event; its name, or null. */
  async revoke(userId: string, id: string, event: (name: string) => NewEvent): Promise<string | null> {
    return this.prisma.transaction(async (tx) => {
      const rows = await tx.$queryRaw<{ name: string }[]>`
        DELETE FROM api_keys WHERE id = ${id} AND user_id = ${userId} RETURNING name`;
      if (rows.length === 0) return null;
      await insertEventWhereReadable(tx, event(rows[0].name), this.prisma.nowMsSql());
      return rows[0].name;
    });
  }

  async findByHash(keyHash: string): Promise<LiveApiKey | null> {
    const rows = await this.prisma.client.$queryRaw<
      {
        id: string;
        name: string;
        role: string;
        username: string;
        user_role: string;
        last_used_at_ms: bigint | number | null;
        now_ms: bigint | number;
      }[]
    >`
      SELECT k.id, k.name, k.role, u.username, u.role AS user_role, k.last_used_at_ms, n.now_ms
      FROM (SELECT ${this.prisma.nowMsSql()} AS now_ms) n
      JOIN api_keys k ON k.key_hash = ${keyHash}
      JOIN users u ON u.id = k.user_id`;
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.id,
      name: row.name,
      role: storedRole(row.role),
      username: row.username,
      userRole: storedRole(row.user_role),
      lastUsedAtMs: row.last_used_at_ms === null ? null : Number(row.last_used_at_ms),
      nowMs: Number(row.now_ms),
    };
  }

  async touch(id: string): Promise<void> {
    await this.prisma.whileLocked(
      () => this.prisma.client.$executeRaw`
        UPDATE api_keys SET last_used_at_ms = ${this.prisma.nowMsSql()} WHERE id = ${id}`,
    );
  }
}
