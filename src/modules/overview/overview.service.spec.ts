import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  clusterProviders,
  ClusterState,
  clusterState,
  component,
  NOW,
  server,
} from '../cluster/cluster.fixtures';
import { OverviewService } from './overview.service';

describe('OverviewService', () => {
  let state: ClusterState;
  let overview: OverviewService;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(async () => {
    state = clusterState();
    const module = await Test.createTestingModule({
      providers: [...clusterProviders(state), OverviewService],
    }).compile();
    overview = module.get(OverviewService);
  });

  it('reports who drained a component and when, and never names a drained component a backup', async () => {
    const drained = { drainedAtMs: NOW - 60_000, drainedBy: 'admin' };
    state.servers = [
      server('a', [component('a-service', 'service', 0, drained)]),
      server('b', [component('b-service', 'service', 0, drained)]),
    ];
    const { report } = await overview.overview();
    expect(report.configuration.primaryServer).toBe('a');
    expect(report.configuration.backupServers).toEqual([]);
    expect(report.servers[1].components[0].drained).toEqual({
      by: 'admin',
      at: new Date(NOW - 60_000).toISOString(),
    });
  });

  it('shows a second process under one name as an error, and a clock off by more than 5 s as a warning', async () => {
    state.servers = [
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
