import { Logger } from '@nestjs/common';
import { Clock } from '../../common/clock';
import type { AppConfig, ComponentType } from '../environment/app-config';
import { NodeKeys } from '../environment/node-keys';
import { MetricsService } from '../metrics/metrics.service';
import { VerificationService } from '../verification/verification.service';
import type { VerificationRepository } from '../verification/verification.repository';
import type {
  HeartbeatRepository,
  InstanceLiveness,
  InstanceRegistration,
  PresenceReport,
  RegistrationResult,
} from './heartbeat.repository';
import type { ClusterSettingsService } from '../configuration/cluster-settings.service';
import type { ClusterSettings } from '../configuration/settings-rules';
import { KeyCrypto } from '../verification/key-crypto';
import { DuplicateServerError } from './duplicate-server.error';
import type { DatabasePathReporter } from './database-path.reporter';
import { OutageRepository } from './outage.repository';
import { OutageTracker } from './outage-tracker';
import { HeartbeatService } from './heartbeat.service';
import type { ProcessIdentity } from './process-identity';

const settings: ClusterSettings = {
  loadBalancing: false,
  automaticFailover: true,
  heartbeatFrequencySeconds: 1,
  staleTimeoutSeconds: 3,
  upgradeWindowMinutes: 60,
  revision: 4,
  changedAtMs: null,
  previousStaleTimeoutSeconds: null,
};

/** Plays the database: which components this process still runs, and what a registration finds. */
class FakeServers {
  mine = new Map<ComponentType, string>();
  conflictAddress: string | null = null;
  registrations: { types: ComponentType[]; isLive: InstanceLiveness; recordConflict: boolean }[] = [];
  reports: PresenceReport[] = [];
  /** The cluster's key check, as the settings row holds it. */
  keyCheck: string | null = null;

  async registerInstance(
    registration: InstanceRegistration,
    isLive: InstanceLiveness,
    recordConflict: boolean,
  ): Promise<RegistrationResult> {
    this.registrations.push({ types: registration.components.map((c) => c.type), isLive, recordConflict });
    if (this.conflictAddress) {
      return {
        registered: false,
        conflict: { type: 'service', address: this.conflictAddress, lastSeenMsAgo: 500 },
      };
    }
    const ids = new Map(registration.components.map((c) => [c.type, `${c.type}-id`] as const));
    for (const [type, id] of ids) this.mine.set(type, id);
    return { registered: true, ids };
  }

  async databaseNowMs() {
    return Date.now() - 600_000;
  }

  async reportPresence(_instanceId: string, report: PresenceReport) {
    this.reports.push(report);
    return {
      mine: new Map(this.mine),
      databaseNowMs: Date.now() - 600_000,
      drained: false,
      news: { settingsRevision: 4, keyCheck: this.keyCheck, primary: null },
    };
  }
}

const identity = {
  instance: { id: 'this-process', address: '10.0.0.1:8624', host: 'host-a', pid: 100 },
  isRunningHere: (pid: number) => pid === 100 || pid === 200,
} as ProcessIdentity;

const config = {
  serverName: 'node-1',
  components: ['web', 'service'],
  advertisedAddress: '10.0.0.1',
  version: '1.0.0',
} as AppConfig;

describe('HeartbeatService', () => {
  let servers: FakeServers;
  let crypto: KeyCrypto;
  let sut: HeartbeatService;

  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['error', 'warn']));

  beforeEach(() => {
    servers = new FakeServers();
    crypto = new KeyCrypto(new NodeKeys(Buffer.alloc(32, 1), Buffer.alloc(32, 2)));
    const verification = new VerificationService(
      { findClusterKeyCheck: async () => servers.keyCheck } as unknown as VerificationRepository,
      crypto,
    );
    const clusterSettings = { get: async () => settings } as unknown as ClusterSettingsService;
    sut = new HeartbeatService(
      config,
      servers as unknown as HeartbeatRepository,
      clusterSettings,
      verification,
      crypto,
      new Clock(),
      new MetricsService(),
      identity,
      new OutageTracker(config, { record: async () => true } as unknown as OutageRepository, new Clock()),
      { noteHeartbeat: () => undefined } as unknown as DatabasePathReporter,
    );
  });

  it('refuses to start when another live process runs under the same server name', async () => {
    servers.conflictAddress = '10.0.0.9:8624';
    await expect(sut.start()).rejects.toThrow(DuplicateServerError);
    await expect(sut.start()).rejects.toThrow(
      'CLUSTER_SERVER_NAME: "node-1" is already used by another running process at 10.0.0.9:8624',
    );
    expect(servers.registrations[0].recordConflict).toBe(false);
  });

  it('takes over the rows of a process that can no longer run: stopped cleanly, stale, or dead on this host', async () => {
    await sut.start();
    const isLive = servers.registrations[0].isLive;
    const nowMs = 1_000_000;
    expect(isLive({ host: 'host-b', pid: 5, seenAtMs: null, nowMs })).toBe(false);
    expect(isLive({ host: 'host-b', pid: 5, seenAtMs: nowMs - 3_001, nowMs })).toBe(false);
    expect(isLive({ host: 'host-b', pid: 5, seenAtMs: nowMs - 500, nowMs })).toBe(true);
    expect(isLive({ host: 'host-a', pid: 300, seenAtMs: nowMs - 500, nowMs })).toBe(false);
    expect(isLive({ host: 'host-a', pid: 200, seenAtMs: nowMs - 500, nowMs })).toBe(true);
    // Our own process id at start: an earlier run of this container, not a second process.
    expect(isLive({ host: 'host-a', pid: 100, seenAtMs: nowMs - 500, nowMs })).toBe(false);
  });

  it('registers a removed component again at the next heartbeat', async () => {
    await sut.start();
    servers.mine.delete('service');
    const beat = await sut.beat(settings);
    expect(servers.registrations[1]).toMatchObject({ types: ['service'], recordConflict: true });
    expect(beat).toMatchObject({ serviceComponentId: 'service-id', eligible: true, outdated: false });
  });

  it('stands aside, without the lease, while another process runs its component', async () => {
    await sut.start();
    servers.mine.clear();
    servers.conflictAddress = '10.0.0.9:8624';
    const beat = await sut.beat(settings);
    expect(beat.serviceComponentId).toBeNull();
    // At run time our own process id is no proof: only the stale rule and dead processes free a row.
    expect(servers.registrations[1].isLive({ host: 'host-a', pid: 100, seenAtMs: 0, nowMs: 500 })).toBe(true);
  });

  it("reports whether its key is the cluster's, its clock skew and the settings revision it follows", async () => {
    await sut.start();
    expect(await sut.beat(settings)).toMatchObject({ eligible: true, outdated: false, settingsRevision: 4 });
    expect(servers.reports.at(-1)).toMatchObject({ eligible: true });
    // Another node records a key check made with another key: the answer carries it, and this beat (which
    // reported the old eligibility) says it is outdated; the next one reports the new one.
    const other = new KeyCrypto(new NodeKeys(Buffer.alloc(32, 9), Buffer.alloc(32, 2)));
    servers.keyCheck = other.makeEncryptionToken();
    expect(await sut.beat(settings)).toMatchObject({ eligible: false, outdated: true });
    expect(servers.reports.at(-1)).toMatchObject({ eligible: true });
    expect(await sut.beat(settings)).toMatchObject({ eligible: false, outdated: false });
    expect(servers.reports.at(-1)).toMatchObject({ eligible: false, settingsRevision: 4 });
    // This node's own key opens a check made with it.
    servers.keyCheck = crypto.makeEncryptionToken();
    expect(await sut.beat(settings)).toMatchObject({ eligible: true, outdated: true });
    // Measured against the database's clock (the fake one runs ten minutes slow), written with the heartbeat.
    expect(servers.reports.at(-1)!.clockSkewMs).toBeGreaterThan(599_000);
    expect(servers.reports.at(-1)!.clockSkewMs).toBeLessThan(601_000);
  });
});
