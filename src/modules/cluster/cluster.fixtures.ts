import type { Provider } from '@nestjs/common';
import type { AppConfig } from '../environment/app-config';
import { APP_CONFIG } from '../environment/environment.tokens';
import { NodeKeys } from '../environment/node-keys';
import type { LeaseRecord } from '../failover/lease';
import { KeyCrypto } from '../verification/key-crypto';
import { ClusterRepository, ComponentRecord, ServerRecord } from './cluster.repository';
import { ClusterService } from './cluster.service';

/** Records for the unit specs of the judgement and of the report made from it (not part of the build). */

export const NOW = 1_800_000_000_000;
export const ours = new KeyCrypto(new NodeKeys(Buffer.alloc(32, 1), Buffer.alloc(32, 2)));
export const theirs = new KeyCrypto(new NodeKeys(Buffer.alloc(32, 7), Buffer.alloc(32, 8)));

/** A component as its node would have registered it, with tokens made by `keys`. */
export function component(
  id: string,
  type: 'web' | 'service',
  agoMs: number,
  extra: Partial<ComponentRecord> = {},
  keys: KeyCrypto = ours,
): ComponentRecord {
  return {
    id,
    type,
    version: '1.0.0',
    encryptionToken: keys.makeEncryptionToken(),
    machineToken: type === 'web' ? keys.makeMachineToken() : null,
    addedManually: false,
    lastHeartbeatAtMs: NOW - agoMs,
    observedHeartbeat: null,
    observedKeys: null,
    observedDuplicate: null,
    instanceAddress: null,
    instanceSeenAtMs: NOW - agoMs,
    duplicateAddress: null,
    duplicateSeenAtMs: null,
    clockSkewMs: 0,
    eligible: true,
    drainedAtMs: null,
    drainedBy: null,
    databasePath: null,
    ...extra,
  };
}

export const server = (name: string, components: ComponentRecord[]): ServerRecord => ({
  id: name,
  name,
  os: 'Linux',
  ipAddress: '10.0.0.1',
  components,
});

/** What the stub repository answers: change the fields between calls. */
export interface ClusterState {
  servers: ServerRecord[];
  lease: LeaseRecord;
  automaticFailover: boolean;
}

export function clusterState(): ClusterState {
  return {
    servers: [],
    automaticFailover: true,
    lease: {
      holder: 'a-service',
      epoch: 3,
      expiresAtMs: NOW + 1_000,
      acquiredAtMs: NOW - 9_000,
      previousHolder: null,
    },
  };
}

/** The providers of the judgement over `state`, read by the database clock NOW, with our keys. */
export function clusterProviders(state: ClusterState): Provider[] {
  return [
    ClusterService,
    { provide: APP_CONFIG, useValue: { serverName: 'a', version: '1.0.0' } as AppConfig },
    { provide: KeyCrypto, useValue: ours },
    {
      provide: ClusterRepository,
      useValue: {
        findCluster: async () => ({
          servers: state.servers,
          nowMs: NOW,
          lease: state.lease,
          releases: new Map<string, number>(),
          settings: {
            loadBalancing: false,
            automaticFailover: state.automaticFailover,
            heartbeatFrequencySeconds: 1,
            staleTimeoutSeconds: 3,
            upgradeWindowMinutes: 60,
            revision: 1,
            changedAtMs: null,
            previousStaleTimeoutSeconds: null,
          },
        }),
      },
    },
  ];
}
