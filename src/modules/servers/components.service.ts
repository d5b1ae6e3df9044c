import { Injectable } from '@nestjs/common';
import { KeyCrypto } from '../verification/key-crypto';
import { ComponentConflictError, ComponentNotFoundError } from './components.errors';
import type { AddComponentDto } from './dto/add-component.dto';
import { describeDuration } from '../../common/format';
import { ServersRepository } from './servers.repository';
import { EvaluatedComponent, ServersService } from './servers.service';

export interface RemovalPreview {
  id: string;
  serverName: string;
  typeLabel: string;
  addedManually: boolean;
  /** What removing it means, in plain words, for the confirmation. */
  consequences: string[];
}

/** An administrator's changes to the list of components: adding one by hand, removing one. */
@Injectable()
export class ComponentsService {
  constructor(
    private readonly servers: ServersService,
    private readonly repository: ServersRepository,
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
    const evaluation = await this.servers.evaluate();
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

function consequencesOf(
  target: EvaluatedComponent,
  all: EvaluatedComponent[],
  heartbeatSeconds: number,
): string[] {
  const { component, server, role } = target;
  const said: string[] = [];
  const live = target.checks.heartbeat === 'ok';
  if (component.addedManually) {
    said.push('It was added by hand and never sends a heartbeat: once removed, it does not come back.');
  } else if (live) {
    // Every process reports all its components each heartbeat period, web ones included.
    said.push(
      `Its node is still running: it registers again at its next heartbeat (within ${describeDuration(heartbeatSeconds)}). To take the server out for good, stop its node first.`,
    );
  } else {
    said.push('Its node has stopped sending heartbeats; if it starts again, it registers again.');
  }
  const otherLiveServices = all.filter(
    (other) =>
      other !== target &&
      other.component.type === 'service' &&
      !other.component.addedManually &&
      other.checks.heartbeat === 'ok',
  );
  if (role === 'primary') {
    said.push(
      otherLiveServices.length > 0
        ? 'It is the primary service component: its lease ends with it, and a backup takes over at its next heartbeat.'
        : 'It is the primary service component, and no other live service component can take over: cluster-wide work stops until one runs.',
    );
  } else if (role === 'backup' && otherLiveServices.filter((other) => other.role === 'backup').length === 0) {
    said.push(
      'It is the last backup service component: the cluster is left with no backup until another runs.',
    );
  }
  if (server.components.length === 1)
    said.push(`It is the last component of ${server.name}, so the server leaves the list too.`);
  return said;
}
