import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { ComponentType } from '../environment/app-config';
import type { Prisma } from '../../generated/sqlite/client';
import { PrismaService } from '../database/prisma.service';
import type { NewEvent } from '../events/event';
import { insertEventSql } from '../events/event-sql';
import { LeaseRepository } from '../failover/lease.repository';

/** A component an administrator adds by hand. */
export interface ManualComponent {
  serverName: string;
  os: string;
  ipAddress: string;
  type: ComponentType;
  version: string;
  encryptionToken: string;
  machineToken: string | null;
}

export type ManualAddResult =
  | { added: true; id: string }
  | { added: false; reason: 'duplicate' }
  | { added: false; reason: 'server-differs'; os: string; ipAddress: string };

/** What a drain or resume does, judged on the cluster as the transaction reads it. */
export interface DrainDecision {
  endLease: boolean;
  event: NewEvent;
}

/** A service component's drain after a change: whether it changed, and whether its lease was ended. */
export interface DrainState {
  changed: boolean;
  leaseEnded: boolean;
  drainedAtMs: number | null;
  drainedBy: string | null;
}

export interface RemovedComponent {
  serverName: string;
  type: ComponentType;
  serverRemoved: boolean;
}

/**
 * Adding, removing and draining components, each in one transaction with its event. A transaction that
 * touches the lease locks its row first (LeaseRepository.lockIn), as the primary's fenced writes do.
 */
@Injectable()
export class ComponentsRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly leases: LeaseRepository,
  ) {}

  /**
   * Adds a component that never heartbeats, for an administrator trying out the page, with its event, in one transaction
   * that starts with a write: the upsert creates the server or locks its row (so a concurrent removal
   * cannot delete it midway), and SQLite takes its write lock at once. A server that exists with another
   * operating system or address, or that already has a component of this type, is left as it was.
   */
  async addManualComponent(
    manual: ManualComponent,
    event: (id: string) => NewEvent,
  ): Promise<ManualAddResult> {
    return this.prisma.whileLocked(() =>
      this.prisma.client.$transaction(async (tx): Promise<ManualAddResult> => {
        const [server] = await tx.$queryRaw<{ id: string; os: string; ip_address: string }[]>`
        INSERT INTO servers (id, name, os, ip_address, created_at)
        VALUES (${randomUUID()}, ${manual.serverName}, ${manual.os}, ${manual.ipAddress}, ${new Date()})
        ON CONFLICT (name) DO UPDATE SET name = excluded.name
        RETURNING id, os, ip_address`;
        if (server.os !== manual.os || server.ip_address !== manual.ipAddress) {
          return { added: false, reason: 'server-differs', os: server.os, ipAddress: server.ip_address };
        }
        const rows = await tx.$queryRaw<{ id: string }[]>`
        INSERT INTO components (id, server_id, type, version, encryption_token, machine_token, added_manually,
                                registered_at_ms, last_heartbeat_at_ms)
        VALUES (${randomUUID()}, ${server.id}, ${manual.type}, ${manual.version}, ${manual.encryptionToken},
                ${manual.machineToken}, true, ${this.prisma.nowMsSql()}, NULL)
        ON CONFLICT (server_id, type) DO NOTHING
        RETURNING id`;
        if (rows.length === 0) return { added: false, reason: 'duplicate' };
        await tx.$executeRaw(insertEventSql(event(rows[0].id), null, this.prisma.nowMsSql()));
        return { added: true, id: rows[0].id };
      }),
    );
  }

  /**
   * Deletes a component, and its server when it was the server's last one, ends the primary lease if the
   * component held it, and records the event, in one transaction that starts with a write (so SQLite takes its write lock
   * at once). Null when there is no such component.
   */
  async removeComponent(
    id: string,
    event: (removed: RemovedComponent) => NewEvent,
  ): Promise<RemovedComponent | null> {
    return this.prisma.whileLocked(() =>
      this.prisma.client.$transaction(async (tx) => {
        // The lease row first, as every transaction that touches both (drains, the primary's fenced writes).
        await this.leases.lockIn(tx);
        const deleted = await tx.$queryRaw<{ server_id: string; type: string }[]>`
        DELETE FROM components WHERE id = ${id} RETURNING server_id, type`;
        if (deleted.length === 0) return null;
        await this.leases.endHeldBy(tx, id);
        const serverId = deleted[0].server_id;
        const server = await tx.server.findUniqueOrThrow({ where: { id: serverId }, select: { name: true } });
        const emptied = await tx.$executeRaw`
        DELETE FROM servers WHERE id = ${serverId} AND NOT EXISTS (SELECT 1 FROM components WHERE server_id = ${serverId})`;
        const removed: RemovedComponent = {
          serverName: server.name,
          type: deleted[0].type as ComponentType,
          serverRemoved: emptied > 0,
        };
        await tx.$executeRaw(insertEventSql(event(removed), null, this.prisma.nowMsSql()));
        return removed;
      }),
    );
  }

  /**
   * Locks the lease row in `tx`, before anything that judges the cluster for a drain or a resume: drains are
   * then decided one after the other, in the lock order of the primary's fenced writes (lease, then
   * components).
   */
  lockLease(tx: Prisma.TransactionClient): Promise<void> {
    return this.leases.lockIn(tx);
  }

  /**
   * Drains a service component, or resumes it, in `tx` (after lockLease and the judgement): ends its lease
   * when `decision.endLease`, and records the event only when the state changed. Ending the lease marks the
   * lease row with the drained holder, which a takeover checks on the row itself: PostgreSQL re-checks a
   * waiting UPDATE against the new row, but its subqueries against an older snapshot. Null when the
   * component is gone (a removal does not wait for the lease lock when the component holds no lease).
   */
  async setDrained(
    tx: Prisma.TransactionClient,
    id: string,
    change: { drain: true; actor: string } | { drain: false },
    decision: DrainDecision,
  ): Promise<DrainState | null> {
    const now = this.prisma.nowMsSql();
    const changed = change.drain
      ? await tx.$executeRaw`
          UPDATE components SET drained_at_ms = ${now}, drained_by = ${change.actor}
          WHERE id = ${id} AND type = 'service' AND drained_at_ms IS NULL`
      : await tx.$executeRaw`
          UPDATE components SET drained_at_ms = NULL, drained_by = NULL
          WHERE id = ${id} AND type = 'service' AND drained_at_ms IS NOT NULL`;
    const [row] = await tx.$queryRaw<{ drained_at_ms: bigint | number | null; drained_by: string | null }[]>`
      SELECT drained_at_ms, drained_by FROM components WHERE id = ${id}`;
    if (!row) return null;
    let leaseEnded = false;
    if (change.drain) leaseEnded = await this.leases.markDrained(tx, id, decision.endLease);
    else await this.leases.clearDrained(tx, id);
    if (changed > 0) await tx.$executeRaw(insertEventSql(decision.event, null, now));
    return {
      changed: changed > 0,
      leaseEnded,
      drainedAtMs: row.drained_at_ms === null ? null : Number(row.drained_at_ms),
      drainedBy: row.drained_by,
    };
  }
}
