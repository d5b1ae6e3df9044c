import { describeChanges, settingsErrors, settingsWarnings, SettingsValues } from './settings-rules';

const defaults: SettingsValues = {
  loadBalancing: false,
  automaticFailover: true,
  heartbeatFrequencySeconds: 30,
  staleTimeoutSeconds: 300,
  upgradeWindowMinutes: 60,
};

describe('settings rules', () => {
  it('accepts the defaults without a warning', () => {
    expect(settingsErrors(defaults)).toEqual({});
    expect(settingsWarnings(defaults)).toEqual([]);
  });

  it('accepts a one-second heartbeat with a three-second timeout, with a warning for each', () => {
    const fast = { ...defaults, heartbeatFrequencySeconds: 1, staleTimeoutSeconds: 3 };
    expect(settingsErrors(fast)).toEqual({});
    expect(settingsWarnings(fast)).toHaveLength(2);
  });

  it.each([
    [{ heartbeatFrequencySeconds: 0 }, 'heartbeatFrequencySeconds'],
    [{ heartbeatFrequencySeconds: 3601 }, 'heartbeatFrequencySeconds'],
    [{ heartbeatFrequencySeconds: 2.5 }, 'heartbeatFrequencySeconds'],
    [{ staleTimeoutSeconds: 2 }, 'staleTimeoutSeconds'],
    [{ staleTimeoutSeconds: 86_401 }, 'staleTimeoutSeconds'],
    [{ staleTimeoutSeconds: Number.NaN }, 'staleTimeoutSeconds'],
    [{ upgradeWindowMinutes: -1 }, 'upgradeWindowMinutes'],
    [{ upgradeWindowMinutes: 10_081 }, 'upgradeWindowMinutes'],
    [{ upgradeWindowMinutes: 1.5 }, 'upgradeWindowMinutes'],
  ])('refuses %j and names %s', (change, field) => {
    expect(Object.keys(settingsErrors({ ...defaults, ...change }))).toEqual([field]);
  });

  it('requires the stale timeout to cover at least three heartbeats', () => {
    expect(settingsErrors({ ...defaults, heartbeatFrequencySeconds: 60, staleTimeoutSeconds: 179 })).toEqual({
      staleTimeoutSeconds: 'must be at least three heartbeats (180 seconds with a 60-second heartbeat)',
    });
    expect(settingsErrors({ ...defaults, heartbeatFrequencySeconds: 60, staleTimeoutSeconds: 180 })).toEqual(
      {},
    );
  });

  it('describes what changed, and only that', () => {
    expect(
      describeChanges(defaults, { ...defaults, heartbeatFrequencySeconds: 5, automaticFailover: false }),
    ).toEqual(['automatic failover on → off', 'heartbeat frequency 30 s → 5 s']);
    expect(describeChanges(defaults, defaults)).toEqual([]);
  });
});
