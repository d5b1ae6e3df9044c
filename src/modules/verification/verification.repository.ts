import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';

/** The cluster's key check (a token made with the cluster's encryption key), kept in the settings row. */
@Injectable()
export class VerificationRepository {
  constructor(private readonly prisma: PrismaService) {}

  async findClusterKeyCheck(): Promise<string | null> {
    const row = await this.prisma.client.clusterSettings.findUniqueOrThrow({
      where: { id: 1 },
      select: { encryptionCheck: true },
    });
    return row.encryptionCheck;
  }

  /** The first caller sets it; later calls change nothing. */
  async recordClusterKeyCheckIfUnset(token: string): Promise<void> {
    await this.prisma.whileLocked(() =>
      this.prisma.client.clusterSettings.updateMany({
        where: { id: 1, encryptionCheck: null },
        data: { encryptionCheck: token },
      }),
    );
  }
}
