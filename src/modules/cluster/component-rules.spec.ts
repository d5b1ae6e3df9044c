import {
  componentStatus,
  compareVersions,
  heartbeatCheck,
  liveUntilMs,
  newestVersion,
  servingNodeLooksOdd,
  versionCheck,
  WEB_STALE_AFTER_MS,
  type ComponentChecks,
  type StaleRule,
} from './component-rules';

/** Settings that have not changed lately. */
const steady = (staleTimeoutSeconds: number): StaleRule => ({
  staleTimeoutSeconds,
  changedAtMs: null,
  previousStaleTimeoutSeconds: null,
});

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const ok: ComponentChecks = { heartbeat: 'ok', version: 'ok', encryptionKey: 'ok', machineKey: 'ok' };

describe('heartbeat check', () => {
  it('keeps a service component live up to the stale timeout and marks it stale after', () => {
    expect(heartbeatCheck({ type: 'service', lastHeartbeatAtMs: NOW - 300_000 }, NOW, steady(300))).toBe(
      'ok',
    );
    expect(heartbeatCheck({ type: 'service', lastHeartbeatAtMs: NOW - 300_001 }, NOW, steady(300))).toBe(
      'stale',
    );
  });

  it('gives a web component 24 hours whatever the stale timeout', () => {
    expect(heartbeatCheck({ type: 'web', lastHeartbeatAtMs: NOW - 3_600_000 }, NOW, steady(3))).toBe('ok');
    expect(
      heartbeatCheck({ type: 'web', lastHeartbeatAtMs: NOW - WEB_STALE_AFTER_MS - 1 }, NOW, steady(3)),
    ).toBe('stale');
  });

  it('treats a component that never sent a heartbeat as stale', () => {
    expect(heartbeatCheck({ type: 'service', lastHeartbeatAtMs: null }, NOW, steady(300))).toBe('stale');
  });
});

describe('heartbeat check after a database outage', () => {
  const service = (lastMs: number) => ({ type: 'service' as const, lastHeartbeatAtMs: lastMs });
  // A 10-second outage that ended one second ago, stale timeout 3 s.
  const BACK = NOW - 1_000;
  const DOWN = BACK - 10_000;
  const afterOutage: StaleRule = { ...steady(3), databaseBackAtMs: BACK, databaseDownAtMs: DOWN };

  it('does not call a node stale for the heartbeats nobody could write during the outage', () => {
    expect(heartbeatCheck(service(BACK - 10_000), NOW, afterOutage)).toBe('ok');
    expect(liveUntilMs(BACK - 10_000, afterOutage)).toBe(BACK + 3_000);
  });

  it('calls a node that did not come back stale once the timeout has passed since the database did', () => {
    expect(heartbeatCheck(service(BACK - 10_000), BACK + 3_001, afterOutage)).toBe('stale');
  });

  it('keeps a node that was stale before the outage began stale: no false "is live again"', () => {
    // Last heard 3.5 s before the database went away: stale half a second before it did.
    expect(liveUntilMs(DOWN - 3_500, afterOutage)).toBe(DOWN - 500);
    expect(heartbeatCheck(service(DOWN - 3_500), NOW, afterOutage)).toBe('stale');
    // Heard 2.5 s before: live as it began, so judged from the moment the database came back.
    expect(liveUntilMs(DOWN - 2_500, afterOutage)).toBe(BACK + 3_000);
  });

  it('counts a node live as the outage began by the settings it was judged by then', () => {
    // 300 s → 3 s, saved a minute before the outage: a report from before the change was judged by the
    // new timeout counted from the change, which had passed when the database went away.
    const changedEarlier: StaleRule = {
      ...afterOutage,
      changedAtMs: DOWN - 60_000,
      previousStaleTimeoutSeconds: 300,
    };
    expect(heartbeatCheck(service(DOWN - 61_000), NOW, changedEarlier)).toBe('stale');
    // Saved just before: still live by the old timeout as the outage began.
    const changedJustBefore: StaleRule = { ...changedEarlier, changedAtMs: DOWN - 1_000 };
    expect(liveUntilMs(DOWN - 61_000, changedJustBefore)).toBe(BACK + 3_000);
  });

  it('judges heartbeats written after the outage as usual', () => {
    expect(liveUntilMs(BACK + 500, afterOutage)).toBe(BACK + 3_500);
    expect(heartbeatCheck(service(BACK + 500), BACK + 3_501, afterOutage)).toBe('stale');
  });
});

describe('heartbeat check while the nodes switch over to new settings', () => {
  const service = (lastMs: number) => ({ type: 'service' as const, lastHeartbeatAtMs: lastMs });
  const CHANGED = NOW - 2_000;
  // 300 s → 3 s, saved two seconds ago.
  const shortened: StaleRule = {
    staleTimeoutSeconds: 3,
    changedAtMs: CHANGED,
    previousStaleTimeoutSeconds: 300,
  };

  it('does not call a node stale for a heartbeat written under the old, longer period', () => {
    expect(heartbeatCheck(service(NOW - 25_000), NOW, shortened)).toBe('ok');
  });

  it('gives such a node the new timeout counted from the change, and no more', () => {
    expect(liveUntilMs(NOW - 25_000, shortened)).toBe(CHANGED + 3_000);
    expect(heartbeatCheck(service(NOW - 25_000), CHANGED + 3_001, shortened)).toBe('stale');
  });

  it('keeps a node stale that was already stale under the old settings (no false recovery)', () => {
    expect(heartbeatCheck(service(NOW - 301_000), NOW, shortened)).toBe('stale');
  });

  it('judges a heartbeat written after the change by the new timeout alone', () => {
    expect(liveUntilMs(CHANGED + 500, shortened)).toBe(CHANGED + 3_500);
    expect(heartbeatCheck(service(CHANGED + 500), CHANGED + 3_501, shortened)).toBe('stale');
  });

  it('never judges more strictly than the new timeout from the last heartbeat when the timeout grew', () => {
    const lengthened: StaleRule = {
      staleTimeoutSeconds: 60,
      changedAtMs: CHANGED,
      previousStaleTimeoutSeconds: 3,
    };
    expect(heartbeatCheck(service(NOW - 30_000), NOW, lengthened)).toBe('ok');
    expect(heartbeatCheck(service(NOW - 61_000), NOW, lengthened)).toBe('stale');
  });
});

describe('version check', () => {
  it('compares versions numerically, not as text', () => {
    expect(compareVersions('1.10.0', '1.9.3')).toBeGreaterThan(0);
    expect(newestVersion(['1.9.3', '1.10.0', '1.2.0'])).toBe('1.10.0');
  });

  it('marks a component behind the newest version out of sync, and the newest in sync', () => {
    expect(versionCheck('1.9.3', '1.10.0')).toBe('out-of-sync');
    expect(versionCheck('1.10.0', '1.10.0')).toBe('ok');
  });

  it('has nothing to compare against in an empty cluster', () => {
    expect(newestVersion([])).toBeNull();
    expect(versionCheck('1.0.0', null)).toBe('ok');
  });
});

describe('component status', () => {
  it('is an error when a key cannot be verified, even if the component is also stale', () => {
    expect(componentStatus({ ...ok, encryptionKey: 'decryption-failure' })).toBe('error');
    expect(componentStatus({ ...ok, heartbeat: 'stale', machineKey: 'decryption-failure' })).toBe('error');
  });

  it('is a warning when stale or behind in version', () => {
    expect(componentStatus({ ...ok, heartbeat: 'stale' })).toBe('warning');
    expect(componentStatus({ ...ok, version: 'out-of-sync', machineKey: null })).toBe('warning');
  });

  it('is ok when every check passes', () => {
    expect(componentStatus(ok)).toBe('ok');
  });
});

describe('serving node looks odd', () => {
  const failing: ComponentChecks = { ...ok, encryptionKey: 'decryption-failure' };

  it('says so when most components elsewhere fail against this node', () => {
    expect(servingNodeLooksOdd([failing, failing, ok])).toBe(true);
  });

  it('does not blame this node for a single odd component among several', () => {
    expect(servingNodeLooksOdd([failing, ok, ok])).toBe(false);
  });

  it('needs at least two other components to judge', () => {
    expect(servingNodeLooksOdd([failing])).toBe(false);
  });
});
