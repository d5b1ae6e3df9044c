import { Clock } from '../../common/clock';
import type { SettingsValues } from '../configuration/settings-rules';
import { MetricsService } from '../metrics/metrics.service';
import { FailoverService } from './failover.service';
import type { Fence, LeaseGrant, LeaseRequest } from './lease';
import type { LeaseRepository } from './lease.repository';

/** A clock the test moves by hand. */
class ManualClock extends Clock {
  ms = 1_000;
  override monotonicMs(): number {
    return this.ms;
  }
}

/** Answers renewals from a script, as the database would; records releases. */
class ScriptedLeases {
  answers: (LeaseGrant | null | Error)[] = [];
  calls: LeaseRequest[] = [];
  released: Fence[] = [];

  async renewOrAcquire(request: LeaseRequest) {
    this.calls.push(request);
    const answer = this.answers.shift() ?? null;
    if (answer instanceof Error) throw answer;
    return answer;
  }

  async release(fence: Fence) {
    this.released.push(fence);
  }
}

const settings: SettingsValues = {
  loadBalancing: false,
  automaticFailover: true,
  heartbeatFrequencySeconds: 1,
  staleTimeoutSeconds: 3,
  upgradeWindowMinutes: 60,
};

const PROCESS = { instanceId: 'this-process', mayAcquire: true };

describe('FailoverService', () => {
  let clock: ManualClock;
  let leases: ScriptedLeases;
  let sut: FailoverService;
  let metrics: MetricsService;

  beforeEach(() => {
    clock = new ManualClock();
    leases = new ScriptedLeases();
    metrics = new MetricsService();
    sut = new FailoverService(leases as unknown as LeaseRepository, clock, metrics);
  });

  it('becomes primary when the database grants the lease, and reports the change once', async () => {
    leases.answers = [{ epoch: 4, previousHolder: 'other', previousEpoch: null }];
    expect(await sut.renew('me', settings, PROCESS)).toBe(true);
    expect((await metrics.failovers.get()).values[0].value).toBe(1);
    expect(sut.fence()).toEqual({ holder: 'me', epoch: 4 });
    expect(sut.pendingChange()).toEqual({ epoch: 4, previousHolder: 'other', previousEpoch: null });
    // Kept until the event is written, so a failed health check does not lose it.
    expect(sut.pendingChange()).toEqual({ epoch: 4, previousHolder: 'other', previousEpoch: null });
    sut.changeRecorded(4);
    expect(sut.pendingChange()).toBeNull();
    expect(leases.calls[0]).toEqual({
      holder: 'me',
      instanceId: 'this-process',
      myEpoch: null,
      preempt: null,
      timeoutMs: 3000,
      automaticFailover: true,
      mayAcquire: true,
    });
  });

  it('renews with the epoch it holds, and a renewal is not a change', async () => {
    leases.answers = [
      { epoch: 4, previousHolder: null, previousEpoch: null },
      { epoch: 4, previousHolder: null, previousEpoch: null },
    ];
    await sut.renew('me', settings, PROCESS);
    sut.changeRecorded(4);
    await sut.renew('me', settings, PROCESS);
    expect(leases.calls[1].myEpoch).toBe(4);
    expect(sut.pendingChange()).toBeNull();
  });

  it('stops being primary on its own before the lease can expire, even when the database does not answer', async () => {
    leases.answers = [
      { epoch: 1, previousHolder: null, previousEpoch: null },
      new Error('connection refused'),
    ];
    await sut.renew('me', settings, PROCESS);
    clock.ms += 2_000;
    expect(await sut.renew('me', settings, PROCESS)).toBe(true);
    // 3 s timeout, half a heartbeat of margin: primary until 2.5 s after the renewal started, not after.
    clock.ms += 499;
    expect(sut.isPrimary()).toBe(true);
    clock.ms += 1;
    expect(sut.isPrimary()).toBe(false);
    expect(sut.fence()).toBeNull();
  });

  it('steps down at once when the lease went backwards: the database lost writes', async () => {
    leases.answers = [
      { epoch: 7, previousHolder: null, previousEpoch: null },
      { epoch: 5, previousHolder: 'other', previousEpoch: 4 },
    ];
    await sut.renew('me', settings, PROCESS);
    expect(await sut.renew('me', settings, PROCESS)).toBe(false);
    expect(sut.isPrimary()).toBe(false);
    expect(sut.fence()).toBeNull();
  });

  it('steps down at once when a renewal returns no row', async () => {
    leases.answers = [{ epoch: 2, previousHolder: null, previousEpoch: null }, null];
    await sut.renew('me', settings, PROCESS);
    expect(await sut.renew('me', settings, PROCESS)).toBe(false);
    expect(sut.isPrimary()).toBe(false);
  });

  it('steps down when a fenced write was rejected, and asks afresh next time', async () => {
    leases.answers = [{ epoch: 2, previousHolder: null, previousEpoch: null }];
    await sut.renew('me', settings, PROCESS);
    sut.fenceRejected({ holder: 'me', epoch: 2 });
    expect(sut.fence()).toBeNull();
    await sut.renew('me', settings, PROCESS);
    expect(leases.calls[1].myEpoch).toBeNull();
  });

  it('ignores a rejection under an older epoch: a renewal has won a newer one meanwhile', async () => {
    leases.answers = [{ epoch: 4, previousHolder: 'other', previousEpoch: null }];
    await sut.renew('me', settings, PROCESS);
    sut.fenceRejected({ holder: 'me', epoch: 3 });
    expect(sut.fence()).toEqual({ holder: 'me', epoch: 4 });
  });

  it('is no longer primary once its component registered again under a new id', async () => {
    leases.answers = [{ epoch: 3, previousHolder: null, previousEpoch: null }, null];
    await sut.renew('old-id', settings, PROCESS);
    expect(await sut.renew('new-id', settings, PROCESS)).toBe(false);
    expect(leases.calls[1]).toMatchObject({ holder: 'new-id', myEpoch: null });
    expect(sut.isPrimary()).toBe(false);
  });

  it('releases the lease it holds on shutdown, and nothing when it holds none', async () => {
    await sut.release();
    expect(leases.released).toEqual([]);
    leases.answers = [{ epoch: 7, previousHolder: null, previousEpoch: null }];
    await sut.renew('me', settings, PROCESS);
    await sut.release();
    expect(leases.released).toEqual([{ holder: 'me', epoch: 7 }]);
    expect(sut.isPrimary()).toBe(false);
  });

  it("asks only to keep the lease, never to take one, while its key is not the cluster's", async () => {
    leases.answers = [null];
    expect(await sut.renew('me', settings, { instanceId: 'this-process', mayAcquire: false })).toBe(false);
    expect(leases.calls[0].mayAcquire).toBe(false);
  });

  it('asks to take the role from a live primary of an older release, and only from that holder at that epoch', async () => {
    const seen = (version: string | null, holder = 'old') => ({
      holder,
      epoch: 7,
      version,
      expiresAtMs: 10_000,
      databaseNowMs: 9_000,
      answeredAtMs: clock.ms,
    });
    const asked = async (mine: string, primary: ReturnType<typeof seen> | null) => {
      const before = leases.calls.length;
      await sut.renew('me', settings, { ...PROCESS, version: mine, primarySeen: primary });
      return leases.calls.length === before ? 'nothing asked' : leases.calls.at(-1)!.preempt;
    };
    expect(await asked('1.6.0', seen('1.5.0'))).toEqual({ holder: 'old', epoch: 7 });
    expect(await asked('1.10.0', seen('1.9.3'))).toEqual({ holder: 'old', epoch: 7 });
    // Not older: the lease is live elsewhere, so there is nothing to ask for.
    expect(await asked('1.6.0', seen('1.6.0'))).toBe('nothing asked');
    expect(await asked('1.5.0', seen('1.6.0'))).toBe('nothing asked');
    // The holder's component is gone (no version): the database decides.
    expect(await asked('1.6.0', seen(null))).toBeNull();
    expect(await asked('1.6.0', seen('1.5.0', 'me'))).toBeNull();
    expect(await asked('1.6.0', null)).toBeNull();
  });

  it("asks nothing while its heartbeat saw another component's live lease, and asks when that lease is about to expire", async () => {
    const primary = (expiresInMs: number) => ({
      holder: 'other',
      epoch: 4,
      version: '1.6.0',
      expiresAtMs: 50_000 + expiresInMs,
      databaseNowMs: 50_000,
      answeredAtMs: clock.ms,
    });
    leases.answers = [null, { epoch: 5, previousHolder: 'other', previousEpoch: 4 }];
    expect(await sut.renew('me', settings, { ...PROCESS, primarySeen: primary(2_000) })).toBe(false);
    expect(leases.calls).toHaveLength(0);
    // Within the margin of its expiry, or already expired: asked (the database has the last word).
    expect(await sut.renew('me', settings, { ...PROCESS, primarySeen: primary(50) })).toBe(false);
    expect(await sut.renew('me', settings, { ...PROCESS, primarySeen: primary(-10) })).toBe(true);
    expect(leases.calls).toHaveLength(2);
    // News grows old: a lease 2 s from expiry when read, 1.95 s before the renewal, is asked for.
    const aging = new FailoverService(leases as unknown as LeaseRepository, clock, metrics);
    const read = primary(2_000);
    clock.ms += 1_950;
    await aging.renew('fourth', settings, { ...PROCESS, primarySeen: read });
    expect(leases.calls).toHaveLength(3);
    expect(leases.calls[2].holder).toBe('fourth');
    // A primary always renews, whatever its heartbeat saw (the database tells it when it lost the lease).
    await sut.renew('me', settings, { ...PROCESS, primarySeen: primary(2_000) });
    expect(leases.calls).toHaveLength(4);
    // Without automatic failover a live holder keeps the role whatever its expiry: nothing to ask either.
    const manual = { ...settings, automaticFailover: false };
    const other = new FailoverService(leases as unknown as LeaseRepository, clock, metrics);
    await other.renew('third', manual, { ...PROCESS, primarySeen: primary(-5_000) });
    expect(leases.calls).toHaveLength(4);
  });
});
