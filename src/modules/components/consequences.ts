import { describeDuration } from '../../common/format';
import { ClusterEvaluation, EvaluatedComponent, Role } from '../cluster/cluster.service';
import { ComponentNotFoundError, DrainRefusedError } from './components.errors';
import { DrainedPrimaryLease, drainedPrimaryLease } from '../cluster/drained-primary';

/** What removing or draining a component means in the cluster as it was judged, in plain words. */

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

/** What draining `id` would do in the cluster as `evaluation` judged it; throws for a missing or web component. */
export function drainPreviewOf(id: string, evaluation: ClusterEvaluation): DrainPreview {
  const target = evaluation.components.find((evaluated) => evaluated.component.id === id);
  if (!target) throw new ComponentNotFoundError(id);
  if (target.component.type !== 'service') {
    throw new DrainRefusedError(
      'web-component',
      'Only a service component can be drained: a web component never holds the primary role.',
    );
  }
  const candidates = otherCandidates(target, evaluation.components);
  const lease = drainedPrimaryLease(
    evaluation.settings.automaticFailover,
    candidates.some((candidate) => candidate.role === 'backup'),
  );
  const handsOver = target.role === 'primary' && lease === 'hands-over';
  const { drainedAtMs, drainedBy } = target.component;
  return {
    id,
    serverName: target.server.name,
    role: target.role!,
    drained: drainedAtMs === null ? null : { by: drainedBy, atMs: drainedAtMs },
    lastEligible: candidates.length === 0 && drainedAtMs === null,
    handsOver,
    consequences: drainConsequences(target, candidates, lease),
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
  lease: DrainedPrimaryLease,
): string[] {
  if (target.component.drainedAtMs !== null)
    return ['It is drained already: draining it again changes nothing. Resume it from the overview.'];
  const said = ['It keeps running and sending heartbeats, but never becomes primary until it is resumed.'];
  if (target.role === 'primary') {
    said.push(
      {
        'hands-over': 'It is the primary: its lease ends now, and a backup takes over at its next heartbeat.',
        'keeps-failover-disabled':
          'It is the primary and keeps the lease: automatic failover is disabled, so nothing takes over from it.',
        'keeps-no-backup':
          'It is the primary and keeps the lease, because no live eligible backup can take over; it hands over as soon as one runs.',
      }[lease],
    );
  }
  if (candidates.length === 0) {
    said.push(
      'It is the last eligible service component: once it is drained, no component can become primary if the current primary stops.',
    );
  }
  return said;
}

export function consequencesOf(
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
