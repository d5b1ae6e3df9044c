import type { PrismaService } from '../../src/modules/database/prisma.service';

export interface LeaseObservation {
  atMs: number;
  holder: string | null;
  epoch: number;
  expiresAtMs: number;
}

/**
 * Watches what the database committed for the primary lease, every few tens of milliseconds, from outside
 * the nodes, so that tests assert on the database and not on what a (possibly paused) node believes.
 */
export class LeaseWatcher {
  readonly observations: LeaseObservation[] = [];
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;

  constructor(private readonly prisma: PrismaService) {}

  start(intervalMs = 50): void {
    this.timer = setInterval(() => {
      if (this.polling) return;
      this.polling = this.observe()
        .then(
          () => undefined,
          () => undefined,
        )
        .finally(() => (this.polling = null));
    }, intervalMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.polling;
  }

  async observe(): Promise<LeaseObservation> {
    const lease = await this.prisma.client.lease.findUniqueOrThrow({ where: { role: 'service' } });
    const observation = {
      atMs: Date.now(),
      holder: lease.holder,
      epoch: Number(lease.epoch),
      expiresAtMs: Number(lease.expiresAtMs),
    };
    this.observations.push(observation);
    return observation;
  }

  latest(): LeaseObservation | undefined {
    return this.observations[this.observations.length - 1];
  }

  /** Waits until the committed lease has an epoch above `epoch`; returns that observation. */
  async waitForEpochAbove(epoch: number, timeoutMs: number): Promise<LeaseObservation> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const seen = await this.observe();
      if (seen.epoch > epoch && seen.holder) return seen;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(
      `no lease above epoch ${epoch} within ${timeoutMs} ms; last seen ${JSON.stringify(this.latest())}`,
    );
  }

  /** Epochs never go back, and no epoch ever had two holders. */
  violations(): string[] {
    const problems: string[] = [];
    const holderOf = new Map<number, string | null>();
    let previous = -1;
    for (const seen of this.observations) {
      if (seen.epoch < previous) problems.push(`epoch went back from ${previous} to ${seen.epoch}`);
      previous = Math.max(previous, seen.epoch);
      const known = holderOf.get(seen.epoch);
      if (known !== undefined && known !== seen.holder)
        problems.push(`epoch ${seen.epoch} held by ${known} and ${seen.holder}`);
      holderOf.set(seen.epoch, seen.holder);
    }
    return problems;
  }

  distinctEpochs(): number[] {
    return [...new Set(this.observations.map((seen) => seen.epoch))];
  }
}

/** Events written by primaries, in the order the database committed them (by id). */
export async function fencedEventEpochs(prisma: PrismaService): Promise<number[]> {
  const rows = await prisma.client.event.findMany({
    where: { epoch: { not: null } },
    orderBy: { id: 'asc' },
    select: { epoch: true },
  });
  return rows.map((row) => Number(row.epoch));
}

export function isNonDecreasing(values: number[]): boolean {
  return values.every((value, index) => index === 0 || value >= values[index - 1]);
}
