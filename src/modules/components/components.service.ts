import { Injectable } from '@nestjs/common';
import type { Prisma } from '../../generated/sqlite/client';
import { PrismaService } from '../database/prisma.service';
import { KeyCrypto } from '../verification/key-crypto';
import { ComponentConflictError, ComponentNotFoundError, DrainRefusedError } from './components.errors';
import type { AddComponentDto } from './dto/add-component.dto';
import { ComponentsRepository, DrainState } from './components.repository';
import { ClusterService, type Role } from '../cluster/cluster.service';
import { consequencesOf, DrainOutcome, DrainPreview, drainPreviewOf, RemovalPreview } from './consequences';

export type { DrainOutcome, DrainPreview, RemovalPreview } from './consequences';

/** An administrator's changes to the list of components: adding one by hand, removing, draining one. */
@Injectable()
export class ComponentsService {
  constructor(
    private readonly cluster: ClusterService,
    private readonly repository: ComponentsRepository,
    private readonly prisma: PrismaService,
    private readonly crypto: KeyCrypto,
  ) {}

  /**
   * Adds a component that never sends a heartbeat, so that an administrator can see what the page looks
   * like for a cluster. Its verification tokens are made with this node's keys, so it shows keys in sync
   * with the node it was added on.
   */
  async add(input: AddComponentDto, actor: string): Promise<{ id: string }> {
    const result = await this.repository.addManualComponent(
      {
        ...input,
        encryptionToken: this.crypto.makeEncryptionToken(),
        machineToken: input.type === 'web' ? this.crypto.makeMachineToken() : null,
      },
      (id) => ({
        kind: 'component-added',
        serverName: input.serverName,
        componentId: id,
        componentType: input.type,
        actor,
        message: `${actor} added a ${input.type} component to ${input.serverName} by hand (version ${input.version})`,
      }),
    );
    if (!result.added && result.reason === 'duplicate') {
      throw new ComponentConflictError(
        'type',
        `server ${input.serverName} already has a ${input.type} component`,
      );
    }
    if (!result.added) {
      const field = result.os !== input.os ? 'os' : 'ipAddress';
      const existing = field === 'os' ? result.os : result.ipAddress;
      throw new ComponentConflictError(
        field,
        `server ${input.serverName} exists with ${field === 'os' ? 'operating system' : 'IP address'} "${existing}"; use the same value, or another server name`,
      );
    }
    return { id: result.id };
  }

  async previewRemoval(id: string): Promise<RemovalPreview> {
    const evaluation = await this.cluster.evaluate();
    const target = evaluation.components.find((evaluated) => evaluated.component.id === id);
    if (!target) throw new ComponentNotFoundError(id);
    return {
      id,
      serverName: target.server.name,
      typeLabel: target.component.type === 'web' ? 'Web' : 'Service',
      addedManually: target.component.addedManually,
      consequences: consequencesOf(
        target,
        evaluation.components,
        evaluation.settings.heartbeatFrequencySeconds,
      ),
    };
  }

  async previewDrain(id: string): Promise<DrainPreview> {
    return drainPreviewOf(id, await this.cluster.evaluate());
  }

  /**
   * Drains a service component: it keeps heartbeating but never takes the primary lease until resumed; a
   * primary with a live backup loses its lease at once (the backup takes it at its next heartbeat). Draining
   * the last eligible component needs `confirmLastEligible`. Draining a drained component changes nothing.
   * All of it is judged inside the write's transaction, after the lease row is locked: two drains at once
   * are decided one after the other, and cannot both take the last backup away without the confirmation.
   */
  async drain(id: string, actor: string, confirmLastEligible: boolean): Promise<DrainOutcome> {
    return this.prisma.transaction(async (tx) => {
      const judged = await this.judgeLocked(tx, id);
      if (judged.drained === null && judged.lastEligible && !confirmLastEligible) {
        throw new DrainRefusedError(
          'last-eligible',
          `The service component of ${judged.serverName} is the last eligible one: once it is drained, no component can become primary if the primary stops. Confirm with "confirmLastEligible": true.`,
        );
      }
      const what =
        judged.role !== 'primary'
          ? ''
          : judged.handsOver
            ? ': its primary lease ended, a backup takes over'
            : ': it stays primary until an eligible backup runs';
      const state = await this.repository.setDrained(
        tx,
        id,
        { drain: true, actor },
        {
          endLease: judged.handsOver,
          event: {
            kind: 'component-drained',
            serverName: judged.serverName,
            componentId: id,
            componentType: 'service',
            actor,
            message: `${actor} drained the service component of ${judged.serverName}${what}`,
          },
        },
      );
      if (!state) throw new ComponentNotFoundError(id);
      return this.outcome(
        judged,
        state,
        state.changed ? judged.consequences.join(' ') : 'It was already drained.',
      );
    });
  }

  /** Resumes a drained service component: it may become primary again (a backup first). */
  async resume(id: string, actor: string): Promise<DrainOutcome> {
    const { judged, state } = await this.prisma.transaction(async (tx) => {
      const judged = await this.judgeLocked(tx, id);
      const state = await this.repository.setDrained(
        tx,
        id,
        { drain: false },
        {
          endLease: false,
          event: {
            kind: 'component-resumed',
            serverName: judged.serverName,
            componentId: id,
            componentType: 'service',
            actor,
            message: `${actor} resumed the service component of ${judged.serverName}: it may become primary again`,
          },
        },
      );
      if (!state) throw new ComponentNotFoundError(id);
      return { judged, state };
    });
    // Its role now, as the overview shows it (backup; inactive while stale or with failover off; primary).
    const after = await this.cluster.evaluate();
    const role = after.components.find((evaluated) => evaluated.component.id === id)?.role ?? judged.role;
    return this.outcome(
      { ...judged, role },
      state,
      !state.changed
        ? 'It was not drained.'
        : role === 'backup'
          ? 'It may become primary again: it is a backup now.'
          : `It may become primary again; for now its role is ${role}.`,
    );
  }

  /** The drain's view of the cluster, read in `tx` once the lease row is locked. */
  private async judgeLocked(tx: Prisma.TransactionClient, id: string): Promise<DrainPreview> {
    await this.repository.lockLease(tx);
    return drainPreviewOf(id, await this.cluster.evaluateWithin(tx));
  }

  private outcome(preview: DrainPreview, state: DrainState, message: string): DrainOutcome {
    const drained = state.drainedAtMs !== null;
    // After a drain: primary while it keeps the lease, else drained. After a resume: as evaluated since.
    const role: Role =
      preview.role === 'primary' && !state.leaseEnded ? 'primary' : drained ? 'drained' : preview.role;
    return {
      id: preview.id,
      serverName: preview.serverName,
      changed: state.changed,
      drained: drained ? { by: state.drainedBy, at: new Date(state.drainedAtMs!).toISOString() } : null,
      role,
      message,
    };
  }

  async remove(id: string, actor: string): Promise<RemovalPreview> {
    const preview = await this.previewRemoval(id);
    const removed = await this.repository.removeComponent(id, (what) => ({
      kind: 'component-removed',
      serverName: what.serverName,
      componentId: id,
      componentType: what.type,
      actor,
      message: `${actor} removed the ${what.type} component of ${what.serverName}${what.serverRemoved ? ' (its last: the server left the list)' : ''}`,
    }));
    if (!removed) throw new ComponentNotFoundError(id);
    return preview;
  }
}
