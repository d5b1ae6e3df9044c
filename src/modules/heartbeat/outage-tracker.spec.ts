import { Logger } from '@nestjs/common';
import { Clock } from '../../common/clock';
import type { AppConfig } from '../environment/app-config';
import type { OutageRepository, SeenOutage } from './outage.repository';
import { OutageTracker } from './outage-tracker';

class ManualClock extends Clock {
  ms = 1_000;
  override monotonicMs(): number {
    return this.ms;
  }
}

describe('OutageTracker', () => {
  let clock: ManualClock;
  let recorded: SeenOutage[];
  let failRecording: boolean;
  let sut: OutageTracker;

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(() => {
    clock = new ManualClock();
    recorded = [];
    failRecording = false;
    const outages = {
      record: async (seen: SeenOutage) => {
        if (failRecording) throw new Error('database unreachable');
        recorded.push(seen);
        return true;
      },
    } as unknown as OutageRepository;
    sut = new OutageTracker({ serverName: 'node-a' } as AppConfig, outages, clock);
  });

  it('records an outage from the first failed heartbeat to the one that reached the database again', async () => {
    await sut.succeeded(1);
    clock.ms += 1_000;
    sut.failed();
    clock.ms += 1_000;
    sut.failed();
    clock.ms += 9_000;
    await sut.succeeded(1);
    expect(recorded).toEqual([{ durationMs: 10_000, serverName: 'node-a', mergeWithinMs: 1_000 }]);
    clock.ms += 1_000;
    await sut.succeeded(1);
    expect(recorded).toHaveLength(1);
  });

  it('leaves a blip shorter than two heartbeat periods unrecorded: it cannot make anyone stale', async () => {
    await sut.succeeded(1);
    clock.ms += 1_000;
    sut.failed();
    clock.ms += 900;
    await sut.succeeded(1);
    expect(recorded).toEqual([]);
  });

  it('keeps the outage when recording it fails, and records it, with the same start, at the next heartbeat', async () => {
    await sut.succeeded(1);
    clock.ms += 1_000;
    sut.failed();
    clock.ms += 5_000;
    failRecording = true;
    await sut.succeeded(1);
    expect(recorded).toEqual([]);
    failRecording = false;
    clock.ms += 1_000;
    await sut.succeeded(1);
    expect(recorded.map((seen) => seen.durationMs)).toEqual([6_000]);
  });

  it('is unsettled from a failed heartbeat until one gets through and, after a long gap, records the outage', async () => {
    await sut.succeeded(1);
    expect(sut.unsettled()).toBe(false);
    clock.ms += 1_000;
    sut.failed();
    expect(sut.unsettled()).toBe(true);
    clock.ms += 5_000;
    failRecording = true;
    await sut.succeeded(1);
    expect(sut.unsettled()).toBe(true);
    failRecording = false;
    clock.ms += 1_000;
    await sut.succeeded(1);
    expect(sut.unsettled()).toBe(false);
    // A blip is settled by the next heartbeat, with nothing recorded.
    sut.failed();
    clock.ms += 500;
    await sut.succeeded(1);
    expect(sut.unsettled()).toBe(false);
    expect(recorded).toHaveLength(1);
  });
});
