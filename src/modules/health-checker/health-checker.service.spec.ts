import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Clock } from '../../common/clock';
import type { NewEvent } from '../events/event';
import type { Fence } from '../failover/lease';
import type { ComponentRecord } from '../cluster/cluster.repository';
import { EvaluatedComponent, ClusterService } from '../cluster/cluster.service';
import type { ComponentChecks } from '../cluster/component-rules';
import { HealthCheckerRepository, Observation } from './health-checker.repository';
import { MetricsService } from '../metrics/metrics.service';
import { HealthCheckerService } from './health-checker.service';

const FENCE: Fence = { holder: 'a-service', epoch: 5 };
const ok: ComponentChecks = { heartbeat: 'ok', version: 'ok', encryptionKey: 'ok', machineKey: null };

/** A service component as evaluated by the serving node, with what the health checker saw last time. */
function evaluated(
  id: string,
  checks: Partial<ComponentChecks>,
  observed: Partial<ComponentRecord>,
  extra: Partial<EvaluatedComponent> = {},
): EvaluatedComponent {
  const component = {
    id,
    type: 'service',
    version: '1.0.0',
    addedManually: false,
    observedHeartbeat: 'ok',
    observedKeys: 'ok',
    observedDuplicate: false,
    ...observed,
  } as ComponentRecord;
  return {
    server: {
      id: `${id}-server`,
      name: id.replace('-service', ''),
      os: 'Linux',
      ipAddress: '10.0.0.1',
      components: [],
    },
    component,
    checks: { ...ok, ...checks },
    role: 'backup',
    status: 'ok',
    duplicate: null,
    ...extra,
  };
}

describe('HealthCheckerService', () => {
  let components: EvaluatedComponent[];
  let written: { observations: Observation[]; events: NewEvent[]; pruned: boolean }[];
  let clock: { ms: number; monotonicMs(): number };
  let sut: HealthCheckerService;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(async () => {
    written = [];
    clock = {
      ms: 0,
      monotonicMs() {
        return this.ms;
      },
    };
    const module = await Test.createTestingModule({
      providers: [
        HealthCheckerService,
        MetricsService,
        { provide: Clock, useValue: clock },
        {
          provide: ClusterService,
          useValue: {
            evaluate: async () => ({ nowMs: 1_000_000, settings: { staleTimeoutSeconds: 60 }, components }),
          },
        },
        {
          provide: HealthCheckerRepository,
          useValue: {
            recordObservations: async (
              _fence: Fence,
              observations: Observation[],
              events: NewEvent[],
              retention: object | null,
            ) => void written.push({ observations, events, pruned: retention !== null }),
          },
        },
      ],
    }).compile();
    sut = module.get(HealthCheckerService);
  });

  const kinds = () => written.at(-1)!.events.map((event) => `${event.serverName}:${event.kind}`);

  it('records each change of state once, and nothing for what stayed the same', async () => {
    components = [
      evaluated('a-service', {}, {}),
      evaluated('b-service', { heartbeat: 'stale' }, {}),
      evaluated('c-service', {}, { observedHeartbeat: 'stale' }),
      evaluated('d-service', { encryptionKey: 'decryption-failure' }, {}),
      evaluated('e-service', {}, { observedHeartbeat: null, observedKeys: null }),
    ];
    await sut.run(FENCE, null);
    expect(kinds()).toEqual([
      'b:component-stale',
      'c:component-recovered',
      'd:verification-failed',
      'e:component-registered',
    ]);
    expect(written[0].observations.map((seen) => seen.componentId)).toEqual([
      'b-service',
      'c-service',
      'd-service',
      'e-service',
    ]);
    expect(written[0].events.find((event) => event.kind === 'component-stale')!.message).toBe(
      'b: service component became stale (no heartbeat for 1 minute)',
    );
  });

  it('says once that a second process runs under a server name, and once that it is gone', async () => {
    const duplicate = { duplicate: { address: '10.0.0.9:8624', lastSeenAtMs: 999_000 } };
    components = [evaluated('b-service', {}, {}, duplicate)];
    await sut.run(FENCE, null);
    expect(kinds()).toEqual(['b:duplicate-detected']);
    components = [evaluated('b-service', {}, { observedDuplicate: true }, duplicate)];
    await sut.run(FENCE, null);
    expect(kinds()).toEqual([]);
    components = [evaluated('b-service', {}, { observedDuplicate: true })];
    await sut.run(FENCE, null);
    expect(kinds()).toEqual(['b:duplicate-resolved']);
  });

  it('records the change of primary it won, naming the one before', async () => {
    components = [evaluated('a-service', {}, {}), evaluated('b-service', {}, {})];
    await sut.run(FENCE, { epoch: 5, previousHolder: 'b-service', previousEpoch: 4 });
    expect(written[0].events[0]).toMatchObject({
      kind: 'primary-changed',
      serverName: 'a',
      message: 'a became primary (epoch 5; previously b at epoch 4)',
    });
  });

  it('names the epoch before as the database kept it: epochs jump at a database failover', async () => {
    components = [evaluated('a-service', {}, {}), evaluated('b-service', {}, {})];
    await sut.run(FENCE, { epoch: 2_000_000_001, previousHolder: 'b-service', previousEpoch: 1_000_000_007 });
    expect(written[0].events[0].message).toBe(
      'a became primary (epoch 2000000001; previously b at epoch 1000000007)',
    );
  });

  it('leaves components added by hand alone: they never heartbeat', async () => {
    components = [
      evaluated('m-service', { heartbeat: 'stale' }, { addedManually: true, observedHeartbeat: null }),
    ];
    await sut.run(FENCE, null);
    expect(written[0]).toMatchObject({ observations: [], events: [] });
  });

  it('prunes the history at the first run and then at most once a minute', async () => {
    components = [];
    for (const atMs of [0, 30_000, 59_999, 60_000, 61_000]) {
      clock.ms = atMs;
      await sut.run(FENCE, null);
    }
    expect(written.map((run) => run.pruned)).toEqual([true, false, false, true, false]);
  });
});
