import type { ClusterEvent, EventKind } from '../events/event';
import type { ComponentReport } from './cluster-report';
import { timelineModel } from './timeline.model';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-11-27T12:00:00.000Z');

const component = (overrides: Partial<ComponentReport> = {}): ComponentReport => ({
  id: 'c1',
  type: 'service',
  role: 'backup',
  version: '1.0.0',
  lastHeartbeatAt: new Date(NOW).toISOString(),
  addedManually: false,
  status: 'ok',
  checks: { heartbeat: 'ok', version: 'ok', encryptionKey: 'ok', machineKey: null },
  drained: null,
  duplicateProcess: null,
  ...overrides,
});

let id = 0;
const event = (hoursAgo: number, kind: EventKind, componentId = 'c1'): ClusterEvent => ({
  id: (id += 1),
  occurredAt: new Date(NOW - hoursAgo * HOUR).toISOString(),
  kind,
  serverName: 's',
  componentId,
  componentType: 'service',
  actor: null,
  epoch: 1,
  message: 'm',
});

describe('a component timeline over the last 24 hours', () => {
  it('is one live span, without changes, when nothing happened', () => {
    const model = timelineModel(component(), [], NOW);
    expect(model.segments).toEqual([{ x: 0, width: 1440, level: 'ok' }]);
    expect(model.primary).toEqual([]);
    expect(model.text).toBe('Last 24 hours: live and verified throughout; no change in 24 h.');
  });

  it('draws registration, a stale spell, failing keys and the hours as primary, and counts the changes', () => {
    const history = [
      event(30, 'primary-changed', 'c1'), // before the window: c1 was primary when it opened
      event(20, 'component-registered'),
      event(10, 'component-stale'),
      event(9, 'component-recovered'),
      event(6, 'primary-changed', 'other'),
      event(5, 'primary-changed', 'c1'),
      event(3, 'primary-changed', 'other'),
      event(2, 'verification-failed'),
      event(1, 'component-stale', 'someone-else'),
    ];
    const model = timelineModel(
      component({
        checks: { heartbeat: 'ok', version: 'ok', encryptionKey: 'decryption-failure', machineKey: null },
      }),
      history,
      NOW,
    );
    expect(model.segments.map((s) => [s.x, s.width, s.level])).toEqual([
      [0, 240, 'none'],
      [240, 600, 'ok'],
      [840, 60, 'warning'],
      [900, 420, 'ok'],
      [1320, 120, 'error'],
    ]);
    // Primary from the window's start until -6 h, and from -5 h to -3 h.
    expect(model.primary.map((s) => [s.x, s.width])).toEqual([
      [0, 1080],
      [1140, 120],
    ]);
    expect(model.summary).toBe('flapped 3 times in 24 h');
    expect(model.text).toBe(
      'Last 24 hours: stale 1 h, failing key verification 2 h, registered 20 h ago, primary 20 h; flapped 3 times in 24 h.',
    );
  });

  it('infers the state before the first change from what it changed', () => {
    const model = timelineModel(
      component({ checks: { heartbeat: 'stale', version: 'ok', encryptionKey: 'ok', machineKey: null } }),
      [event(4, 'component-stale')],
      NOW,
    );
    expect(model.segments.map((s) => s.level)).toEqual(['ok', 'warning']);
    expect(model.summary).toBe('changed once in 24 h');
  });
});
