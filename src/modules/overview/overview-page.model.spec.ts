import type { ClusterOverview, ComponentReport, ServerReport } from './cluster-report';
import { clusterSummary, overviewPageModel, pageListing } from './overview-page.model';
import { ALL_SERVERS } from './server-selection';
import { componentModel } from './server-row.model';

const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);

const service = (extra: Partial<ComponentReport> = {}): ComponentReport => ({
  id: 'c-1',
  type: 'service',
  role: 'backup',
  version: '1.6.0',
  lastHeartbeatAt: new Date(NOW - 1_000).toISOString(),
  addedManually: false,
  status: 'ok',
  checks: { heartbeat: 'ok', version: 'ok', encryptionKey: 'ok', machineKey: null },
  drained: null,
  duplicateProcess: null,
  ...extra,
});

const server = (status: ServerReport['status'], components: ComponentReport[] = []): ServerReport => ({
  name: 'n',
  os: 'o',
  ipAddress: 'i',
  status,
  clockSkewMs: null,
  database: null,
  components,
});

const overview = (servers: ServerReport[], backups: string[], automaticFailover = true): ClusterOverview => ({
  nowMs: NOW,
  newestVersion: '1.6.0',
  servingNodeLooksOdd: false,
  lease: {
    holder: 'c-1',
    epoch: 1_000_000_001,
    expiresAtMs: NOW + 3_000,
    acquiredAtMs: NOW - 60_000,
    previousHolder: null,
  },
  report: {
    checkedBy: { server: 'n', version: '1.6.0' },
    configuration: {
      serverCount: servers.length,
      loadBalancing: true,
      automaticFailover,
      heartbeatFrequencySeconds: 1,
      staleTimeoutSeconds: 3,
      primaryServer: 'n',
      backupServers: backups,
    },
    upgrade: null,
    servers,
  },
});

const pageOf = (model: ClusterOverview) =>
  overviewPageModel(model, {
    warnings: [],
    recentEvents: [],
    page: pageListing(model.report.servers, { selection: ALL_SERVERS, status: 'all', page: 1 }),
    history: [],
  });

describe('overview page model', () => {
  it('summarises the cluster in one line for the Administration page', () => {
    expect(clusterSummary([server('ok'), server('warning'), server('ok')]).text).toBe('3 servers, 1 warning');
    expect(clusterSummary([server('ok')]).text).toBe('1 server, all healthy');
    expect(clusterSummary([server('error'), server('warning')]).badge.level).toBe('error');
  });

  it('says what a stale or drained primary means for the cluster', () => {
    const stale = service({
      role: 'primary',
      checks: { heartbeat: 'stale', version: 'ok', encryptionKey: 'ok', machineKey: null },
    });
    expect(pageOf(overview([server('warning', [stale])], ['m'])).configuration.primaryProblem).toBe(
      'stale: a backup takes over when its lease expires',
    );
    expect(pageOf(overview([server('error', [stale])], [])).configuration.primaryProblem).toBe(
      'stale, with no live backup to take over',
    );
    expect(pageOf(overview([server('warning', [stale])], [], false)).configuration.primaryProblem).toBe(
      'stale, and automatic failover is disabled: nobody takes over',
    );
    const drained = service({
      role: 'primary',
      drained: { by: 'ops', at: new Date(NOW - 60_000).toISOString() },
    });
    expect(pageOf(overview([server('ok', [drained])], [])).configuration.primaryProblem).toBe(
      'drained, but keeps the lease: no live eligible backup to hand over to',
    );
    expect(
      pageOf(overview([server('ok', [service({ role: 'primary' })])], ['m'])).configuration.primaryProblem,
    ).toBeNull();
  });

  it("shows a server's path to the database, and its problem with a warning badge", () => {
    const flagged = {
      ...server('warning', [service()]),
      database: {
        kind: 'postgresql' as const,
        route: 'direct' as const,
        pooling: null,
        systemIdentifier: '7',
        timeline: 1,
        replica: false,
        lockTimeout: '2s',
        idleInTransactionTimeout: '2s',
        problem: 'It reached another database server',
      },
    };
    const [row] = pageOf(overview([flagged], [])).servers;
    expect(row.database).toEqual({
      text: 'direct; primary, system 7, timeline 1; bounds 2s lock, 2s idle',
      problem: 'It reached another database server',
      badge: { level: 'warning', symbol: '⚠', label: 'Warning' },
    });
  });
});

describe('server row model', () => {
  const context = { automaticFailover: true, hasBackup: false, nowMs: NOW };

  it('says why a component is inactive, and why a drained primary keeps its lease', () => {
    expect(
      componentModel(service({ role: 'inactive', addedManually: true }), '1.6.0', NOW, context).role,
    ).toMatchObject({
      label: 'Inactive',
      reason: 'added by hand',
    });
    const drained = service({
      role: 'primary',
      drained: { by: 'ops', at: new Date(NOW - 120_000).toISOString() },
    });
    expect(componentModel(drained, '1.6.0', NOW, context).role).toMatchObject({
      reason: 'drained by ops 2 minutes ago; keeps the lease: no live eligible backup to hand over to',
    });
    expect(componentModel(drained, '1.6.0', NOW, { ...context, hasBackup: true }).role).toMatchObject({
      reason: 'drained by ops 2 minutes ago; hands the lease to a backup within a heartbeat',
    });
  });

  it("names a lagging component's own version and the newest, and offers drain or resume", () => {
    const behind = service({
      version: '1.5.0',
      checks: { heartbeat: 'ok', version: 'out-of-sync', encryptionKey: 'ok', machineKey: null },
    });
    const model = componentModel(behind, '1.6.0', NOW, context);
    expect(model.version).toMatchObject({ inSync: false, label: '1.5.0, behind 1.6.0' });
    expect([model.drainable, model.resumable]).toEqual([true, false]);
  });
});
