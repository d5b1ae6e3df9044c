import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';

@Injectable()
export class DatabasePathRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Records, on every component this process runs, how it reaches the database. */
  async record(instanceId: string, pathJson: string): Promise<void> {
    await this.prisma.client.$executeRaw`
      UPDATE components SET database_path = ${pathJson} WHERE instance_id = ${instanceId}`;
  }
}
