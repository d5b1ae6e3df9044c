import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { PrismaService, STARTUP_LOCK_BUDGET_MS } from '../database/prisma.service';

export interface UserRecord {
  id: string;
  username: string;
  passwordHash: string;
}

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

  /** false when a user of that name exists already (another node created the first administrator first). */
  async createUnlessTaken(username: string, passwordHash: string): Promise<boolean> {
    const id = randomUUID();
    const created = await this.prisma.whileLocked(
      () => this.prisma.client.$executeRaw`
        INSERT INTO users (id, username, password_hash, created_at)
        VALUES (${id}, ${username}, ${passwordHash}, ${new Date()})
        ON CONFLICT (username) DO NOTHING`,
      STARTUP_LOCK_BUDGET_MS,
    );
    return created > 0;
  }

  /** Sets the password and ends every session of the user, on every node; false when there is no such user. */
  async setPasswordHash(username: string, passwordHash: string): Promise<boolean> {
    const [updated] = await this.prisma.whileLocked(
      () =>
        this.prisma.client.$transaction([
          this.prisma.client.user.updateMany({ where: { username }, data: { passwordHash } }),
          this.prisma.client.$executeRaw`
            DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE username = ${username})`,
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
}
