import {
  componentStatus,
  compareVersions,
  heartbeatCheck,
  newestVersion,
  servingNodeLooksOdd,
  versionCheck,
  WEB_STALE_AFTER_MS,
  type ComponentChecks,
} from './component-checks';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const ok: ComponentChecks = { heartbeat: 'ok', version: 'ok', encryptionKey: 'ok', machineKey: 'ok' };

describe('heartbeat check', () => {
  it('keeps a service component live up to the stale timeout and marks it stale after', () => {
    expect(heartbeatCheck({ type: 'service', lastHeartbeatAtMs: NOW - 300_000 }, NOW, 300)).toBe('ok');
    expect(heartbeatCheck({ type: 'service', lastHeartbeatAtMs: NOW - 300_001 }, NOW, 300)).toBe('stale');
  });

  it('gives a web component 24 hours whatever the stale timeout', () => {
    expect(heartbeatCheck({ type: 'web', lastHeartbeatAtMs: NOW - 3_600_000 }, NOW, 3)).toBe('ok');
    expect(heartbeatCheck({ type: 'web', lastHeartbeatAtMs: NOW - WEB_STALE_AFTER_MS - 1 }, NOW, 3)).toBe(
      'stale',
    );
  });

  it('treats a component that never sent a heartbeat as stale', () => {
    expect(heartbeatCheck({ type: 'service', lastHeartbeatAtMs: null }, NOW, 300)).toBe('stale');
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
