import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  clusterProviders,
  ClusterState,
  clusterState,
  component,
  NOW,
  server,
  theirs,
} from './cluster.fixtures';
import { ClusterService } from './cluster.service';

describe('ClusterService', () => {
  let state: ClusterState;
  let sut: ClusterService;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(async () => {
    state = clusterState();
    const module = await Test.createTestingModule({ providers: clusterProviders(state) }).compile();
    sut = module.get(ClusterService);
  });

  const roles = async () =>
    Object.fromEntries((await sut.evaluate()).components.map((c) => [c.component.id, c.role]));

  it('names the lease holder primary, live eligible services backups, and the others by why not', async () => {
    state.servers = [
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
    state.automaticFailover = false;
    expect((await roles())['b-service']).toBe('inactive');
  });

  it('calls a drained component drained, never a backup, and a drained lease holder still primary', async () => {
    const drained = { drainedAtMs: NOW - 60_000, drainedBy: 'admin' };
    state.servers = [
      server('a', [component('a-service', 'service', 0, drained)]),
      server('b', [component('b-service', 'service', 0, drained)]),
      server('c', [component('c-service', 'service', 0, { ...drained, eligible: false })]),
    ];
    expect(await roles()).toEqual({
      'a-service': 'primary',
      'b-service': 'drained',
      'c-service': 'drained',
    });
  });

  it('calls a stale primary an error only when no live backup can take over', async () => {
    state.servers = [
      server('a', [component('a-service', 'service', 10_000)]),
      server('b', [component('b-service', 'service', 0)]),
    ];
    const primaryStatus = async () =>
      (await sut.evaluate()).components.find((c) => c.component.id === 'a-service')!.status;
    expect(await primaryStatus()).toBe('warning');
    state.servers = [server('a', [component('a-service', 'service', 10_000)])];
    expect(await primaryStatus()).toBe('error');
  });

  it('suspects the serving node when most components elsewhere fail against its keys', async () => {
    state.servers = [
      server('a', [component('a-service', 'service', 0)]),
      server('b', [component('b-service', 'service', 0, {}, theirs)]),
      server('c', [component('c-service', 'service', 0, {}, theirs)]),
    ];
    expect((await sut.evaluate()).servingNodeLooksOdd).toBe(true);
    state.servers = [
      server('a', [component('a-service', 'service', 0)]),
      server('b', [component('b-service', 'service', 0)]),
      server('c', [component('c-service', 'service', 0, {}, theirs)]),
    ];
    expect((await sut.evaluate()).servingNodeLooksOdd).toBe(false);
  });
});
