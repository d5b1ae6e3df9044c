import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { AppConfig } from '../environment/app-config';
import { APP_CONFIG } from '../environment/environment.tokens';
import { NodeKeys } from '../environment/node-keys';
import type { LeaseRecord } from '../failover/lease';
import { KeyCrypto } from '../verification/key-crypto';
import type { ComponentRecord, ServerRecord } from './cluster.repository';
import { ClusterRepository } from './cluster.repository';
import { OverviewService } from '../overview/overview.service';
import { ClusterService } from './cluster.service';

const NOW = 1_800_000_000_000;
const ours = new KeyCrypto(new NodeKeys(Buffer.alloc(32, 1), Buffer.alloc(32, 2)));
const theirs = new KeyCrypto(new NodeKeys(Buffer.alloc(32, 7), Buffer.alloc(32, 8)));

/** A component as its node would have registered it, with tokens made by `keys`. */
function component(
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

const server = (name: string, components: ComponentRecord[]): ServerRecord => ({
  id: name,
  name,
  os: 'Linux',
  ipAddress: '10.0.0.1',
  components,
});

describe('ClusterService', () => {
  let servers: ServerRecord[];
  let lease: LeaseRecord;
  let automaticFailover: boolean;
  let sut: ClusterService;
  /** The report the page and the API show, made from the same judgement. */
  let overview: OverviewService;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(async () => {
    automaticFailover = true;
    lease = {
      holder: 'a-service',
      epoch: 3,
      expiresAtMs: NOW + 1_000,
      acquiredAtMs: NOW - 9_000,
      previousHolder: null,
    };
    const module = await Test.createTestingModule({
      providers: [
        ClusterService,
        OverviewService,
        { provide: APP_CONFIG, useValue: { serverName: 'a', version: '1.0.0' } as AppConfig },
        { provide: KeyCrypto, useValue: ours },
        {
          provide: ClusterRepository,
          useValue: {
            findCluster: async () => ({
              servers,
              nowMs: NOW,
              lease,
              settings: {
                loadBalancing: false,
                automaticFailover,
                heartbeatFrequencySeconds: 1,
                staleTimeoutSeconds: 3,
                revision: 1,
                changedAtMs: null,
                previousStaleTimeoutSeconds: null,
              },
            }),
          },
        },
      ],
    }).compile();
    sut = module.get(ClusterService);
    overview = module.get(OverviewService);
  });

  const roles = async () =>
    Object.fromEntries((await sut.evaluate()).components.map((c) => [c.component.id, c.role]));

  it('names the lease holder primary, live eligible services backups, and the others by why not', async () => {
    servers = [
      server('a', [component('a-web', 'web', 0), component('a-service', 'service', 0)]),
      server('b', [component('b-service', 'service', 500)]),
      server('c', [component('c-service', 'service', 10_000)]),
      server('d', [component('d-service', 'service', 0, { eligible: false })]),
      server('e', [component('e-service', 'service', 0, { addedManually: true, lastHeartbeatAtMs: null })]),
    ];
    expect(await roles()).toEqual({
      'a-web': null,
      'a-service': 'primary',
      'b-service': 'backup',
      'c-service': 'inactive',
      'd-service': 'ineligible',
      'e-service': 'inactive',
    });
    automaticFailover = false;
    expect((await roles())['b-service']).toBe('inactive');
  });

  it('calls a drained component drained, never a backup, and a drained lease holder still primary', async () => {
    const drained = { drainedAtMs: NOW - 60_000, drainedBy: 'admin' };
    servers = [
      server('a', [component('a-service', 'service', 0, drained)]),
      server('b', [component('b-service', 'service', 0, drained)]),
      server('c', [component('c-service', 'service', 0, { ...drained, eligible: false })]),
    ];
    expect(await roles()).toEqual({
      'a-service': 'primary',
      'b-service': 'drained',
      'c-service': 'drained',
    });
    expect((await overview.overview()).report.configuration.backupServers).toEqual([]);
    const [b] = (await overview.overview()).report.servers[1].components;
    expect(b.drained).toEqual({ by: 'admin', at: new Date(NOW - 60_000).toISOString() });
  });

  it('calls a stale primary an error only when no live backup can take over', async () => {
    servers = [
      server('a', [component('a-service', 'service', 10_000)]),
      server('b', [component('b-service', 'service', 0)]),
    ];
    const primaryStatus = async () =>
      (await sut.evaluate()).components.find((c) => c.component.id === 'a-service')!.status;
    expect(await primaryStatus()).toBe('warning');
    servers = [server('a', [component('a-service', 'service', 10_000)])];
    expect(await primaryStatus()).toBe('error');
  });

  it('suspects the serving node when most components elsewhere fail against its keys', async () => {
    servers = [
      server('a', [component('a-service', 'service', 0)]),
      server('b', [component('b-service', 'service', 0, {}, theirs)]),
      server('c', [component('c-service', 'service', 0, {}, theirs)]),
    ];
    expect((await sut.evaluate()).servingNodeLooksOdd).toBe(true);
    servers = [
      server('a', [component('a-service', 'service', 0)]),
      server('b', [component('b-service', 'service', 0)]),
      server('c', [component('c-service', 'service', 0, {}, theirs)]),
    ];
    expect((await sut.evaluate()).servingNodeLooksOdd).toBe(false);
  });

  it('shows a second process under one name as an error, and a clock off by more than 5 s as a warning', async () => {
    servers = [
      server('a', [component('a-service', 'service', 0)]),
      server('b', [
        component('b-service', 'service', 0, {
          duplicateAddress: '10.0.0.9:8624',
          duplicateSeenAtMs: NOW - 500,
        }),
      ]),
      server('c', [component('c-service', 'service', 0, { clockSkewMs: 6_000 })]),
    ];
    const { report } = await overview.overview();
    const b = report.servers.find((s) => s.name === 'b')!;
    expect(b.status).toBe('error');
    expect(b.components[0].duplicateProcess).toEqual({
      address: '10.0.0.9:8624',
      lastSeenAt: new Date(NOW - 500).toISOString(),
    });
    expect(report.servers.find((s) => s.name === 'c')).toMatchObject({
      status: 'warning',
      clockSkewMs: 6_000,
    });
    // The process that owns the row is live and eligible: the duplicate does not change its role.
    expect(report.configuration.backupServers).toEqual(['b', 'c']);
  });
});
