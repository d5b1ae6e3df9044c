import { Injectable } from '@nestjs/common';
import { KeyCrypto } from '../verification/key-crypto';
import { ComponentConflictError, ComponentNotFoundError, DrainRefusedError } from './components.errors';
import type { AddComponentDto } from './dto/add-component.dto';
import { describeDuration } from '../../common/format';
import { ComponentsRepository, DrainState } from './components.repository';
import { ClusterEvaluation, EvaluatedComponent, Role, ClusterService } from '../cluster/cluster.service';

export interface RemovalPreview {
  id: string;
  serverName: string;
  typeLabel: string;
  addedManually: boolean;
  /** What removing it means, in plain words, for the confirmation. */
  consequences: string[];
}

/** What draining a service component would do, for the confirmation and the API's answer. */
export interface DrainPreview {
  id: string;
  serverName: string;
  role: Role;
  drained: { by: string | null; atMs: number } | null;
  /** No other live, eligible, undrained service component: draining this one leaves none to take over. */
  lastEligible: boolean;
  /** It is primary and a live backup exists: the drain ends its lease at once. */
  handsOver: boolean;
  /** What draining it means, in plain words. */
  consequences: string[];
}

/** The outcome of a drain or a resume. */
export interface DrainOutcome {
  id: string;
  serverName: string;
  changed: boolean;
  drained: { by: string | null; at: string } | null;
  role: Role;
  message: string;
}

/** An administrator's changes to the list of components: adding one by hand, removing, draining one. */
@Injectable()
export class ComponentsService {
  constructor(
    private readonly cluster: ClusterService,
    private readonly repository: ComponentsRepository,
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
    let preview: DrainPreview | null = null;
    const state = await this.repository.setDrained(id, { drain: true, actor }, (snapshot) => {
      const judged = drainPreviewOf(id, this.cluster.judge(snapshot));
      preview = judged;
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
      return {
        endLease: judged.handsOver,
        event: {
          kind: 'component-drained',
          serverName: judged.serverName,
          componentId: id,
          componentType: 'service',
          actor,
          message: `${actor} drained the service component of ${judged.serverName}${what}`,
        },
      };
    });
    const judged = preview as DrainPreview | null;
    if (!judged || !state) throw new ComponentNotFoundError(id);
    return this.outcome(
      judged,
      state,
      state.changed ? judged.consequences.join(' ') : 'It was already drained.',
    );
  }

  /** Resumes a drained service component: it may become primary again (a backup first). */
  async resume(id: string, actor: string): Promise<DrainOutcome> {
    let preview: DrainPreview | null = null;
    const state = await this.repository.setDrained(id, { drain: false }, (snapshot) => {
      const judged = drainPreviewOf(id, this.cluster.judge(snapshot));
      preview = judged;
      return {
        endLease: false,
        event: {
          kind: 'component-resumed',
          serverName: judged.serverName,
          componentId: id,
          componentType: 'service',
          actor,
          message: `${actor} resumed the service component of ${judged.serverName}: it may become primary again`,
        },
      };
    });
    const judged = preview as DrainPreview | null;
    if (!judged || !state) throw new ComponentNotFoundError(id);
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

/** What draining `id` would do in the cluster as `evaluation` judged it; throws for a missing or web component. */
function drainPreviewOf(id: string, evaluation: ClusterEvaluation): DrainPreview {
  const target = evaluation.components.find((evaluated) => evaluated.component.id === id);
  if (!target) throw new ComponentNotFoundError(id);
  if (target.component.type !== 'service') {
    throw new DrainRefusedError(
      'web-component',
      'Only a service component can be drained: a web component never holds the primary role.',
    );
  }
  const candidates = otherCandidates(target, evaluation.components);
  // Ending the lease is only safe when a backup will take it: role "backup" means live, eligible,
  // undrained, with automatic failover on.
  const handsOver = target.role === 'primary' && candidates.some((candidate) => candidate.role === 'backup');
  const { drainedAtMs, drainedBy } = target.component;
  return {
    id,
    serverName: target.server.name,
    role: target.role!,
    drained: drainedAtMs === null ? null : { by: drainedBy, atMs: drainedAtMs },
    lastEligible: candidates.length === 0 && drainedAtMs === null,
    handsOver,
    consequences: drainConsequences(target, candidates, handsOver, evaluation.settings.automaticFailover),
  };
}

/** The live, eligible, undrained service components other than `target`: those that may take over. */
function otherCandidates(target: EvaluatedComponent, all: EvaluatedComponent[]): EvaluatedComponent[] {
  return all.filter(
    (other) =>
      other !== target &&
      other.component.type === 'service' &&
      !other.component.addedManually &&
      other.component.eligible !== false &&
      other.component.drainedAtMs === null &&
      other.checks.heartbeat === 'ok',
  );
}

function drainConsequences(
  target: EvaluatedComponent,
  candidates: EvaluatedComponent[],
  handsOver: boolean,
  automaticFailover: boolean,
): string[] {
  if (target.component.drainedAtMs !== null)
    return ['It is drained already: draining it again changes nothing. Resume it from the overview.'];
  const said = ['It keeps running and sending heartbeats, but never becomes primary until it is resumed.'];
  if (target.role === 'primary') {
    said.push(
      handsOver
        ? 'It is the primary: its lease ends now, and a backup takes over at its next heartbeat.'
        : !automaticFailover
          ? 'It is the primary and keeps the lease: automatic failover is disabled, so nothing takes over from it.'
          : 'It is the primary and keeps the lease, because no live eligible backup can take over; it hands over as soon as one runs.',
    );
  }
  if (candidates.length === 0) {
    said.push(
      'It is the last eligible service component: once it is drained, no component can become primary if the current primary stops.',
    );
  }
  return said;
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
    if (component.drainedAtMs !== null)
      said.push(
        'It is drained: registered again, it comes back undrained and may become primary. To keep it out during maintenance, leave it drained instead.',
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
