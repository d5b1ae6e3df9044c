import type { ClusterEvent } from '../events/event';
import type { ComponentReport } from './cluster-report';

export const TIMELINE_MS = 24 * 60 * 60 * 1000;
/** The SVG's width in user units: one per minute of the day. */
const WIDTH = 1440;

type Level = 'ok' | 'warning' | 'error' | 'none';

interface Segment {
  x: number;
  width: number;
  level: Level;
}

/**
 * A component's last 24 hours as an inline SVG's rectangles: live (ok), stale (warning), failing key
 * verification (error) or not yet registered (none), and when it was primary, drawn from the events the
 * primary's health checker wrote. The state before the first event of the window is what that event changed
 * from; with no event, the component was as it is now all day. Plain data: the template only draws it.
 */
export function timelineModel(component: ComponentReport, history: ClusterEvent[], nowMs: number) {
  const startMs = nowMs - TIMELINE_MS;
  const mine = history.filter(
    (event) => event.componentId === component.id && Date.parse(event.occurredAt) >= startMs,
  );
  const changes: { atMs: number; heartbeat?: 'ok' | 'stale'; keys?: 'ok' | 'failed'; registered?: true }[] =
    [];
  for (const event of mine) {
    const atMs = Date.parse(event.occurredAt);
    if (event.kind === 'component-stale') changes.push({ atMs, heartbeat: 'stale' });
    else if (event.kind === 'component-recovered') changes.push({ atMs, heartbeat: 'ok' });
    else if (event.kind === 'verification-failed') changes.push({ atMs, keys: 'failed' });
    else if (event.kind === 'verification-recovered') changes.push({ atMs, keys: 'ok' });
    else if (event.kind === 'component-registered') changes.push({ atMs, registered: true });
  }
  const firstHeartbeat = changes.find((c) => c.heartbeat);
  const firstKeys = changes.find((c) => c.keys);
  const registeredInWindow = changes.some((c) => c.registered);
  let heartbeat: 'ok' | 'stale' = firstHeartbeat
    ? firstHeartbeat.heartbeat === 'ok'
      ? 'stale'
      : 'ok'
    : component.checks.heartbeat;
  let keys: 'ok' | 'failed' = firstKeys
    ? firstKeys.keys === 'ok'
      ? 'failed'
      : 'ok'
    : component.checks.encryptionKey === 'ok' && component.checks.machineKey !== 'decryption-failure'
      ? 'ok'
      : 'failed';
  let registered = !registeredInWindow;

  const spans: { fromMs: number; toMs: number; level: Level }[] = [];
  let fromMs = startMs;
  const level = (): Level =>
    !registered ? 'none' : keys === 'failed' ? 'error' : heartbeat === 'stale' ? 'warning' : 'ok';
  for (const change of changes) {
    spans.push({ fromMs, toMs: change.atMs, level: level() });
    fromMs = change.atMs;
    if (change.heartbeat) heartbeat = change.heartbeat;
    if (change.keys) keys = change.keys;
    if (change.registered) registered = true;
  }
  spans.push({ fromMs, toMs: nowMs, level: level() });

  const primarySpans =
    component.type === 'service' ? primaryIntervals(component.id, history, startMs, nowMs) : [];
  const flips = changes.filter((c) => c.heartbeat || c.keys).length;
  const total = (wanted: Level) =>
    spans.filter((s) => s.level === wanted).reduce((sum, s) => sum + (s.toMs - s.fromMs), 0);
  const primaryMs = primarySpans.reduce((sum, s) => sum + (s.toMs - s.fromMs), 0);
  const parts = [
    total('warning') > 0 ? `stale ${duration(total('warning'))}` : null,
    total('error') > 0 ? `failing key verification ${duration(total('error'))}` : null,
    total('none') > 0
      ? `registered ${duration(nowMs - (spans.find((s) => s.level !== 'none')?.fromMs ?? nowMs))} ago`
      : null,
    primaryMs > 0 ? `primary ${duration(primaryMs)}` : null,
  ].filter(Boolean);
  const summary =
    flips === 0 ? 'no change in 24 h' : `${flips === 1 ? 'changed once' : `flapped ${flips} times`} in 24 h`;
  return {
    summary,
    text: `Last 24 hours: ${parts.length > 0 ? parts.join(', ') : 'live and verified throughout'}; ${summary}.`,
    segments: spans.filter((s) => s.toMs > s.fromMs).map((s) => toSegment(s, startMs)),
    primary: primarySpans.map((s) => toSegment({ ...s, level: 'ok' }, startMs)),
  };
}

/** When the lease named this component, by the changes of primary (the last one before the window included). */
function primaryIntervals(id: string, history: ClusterEvent[], startMs: number, nowMs: number) {
  const changes = history.filter((event) => event.kind === 'primary-changed');
  const spans: { fromMs: number; toMs: number }[] = [];
  let holder: string | null = null;
  let fromMs = startMs;
  for (const change of changes) {
    const atMs = Math.max(startMs, Date.parse(change.occurredAt));
    if (holder === id && atMs > fromMs) spans.push({ fromMs, toMs: atMs });
    holder = change.componentId;
    fromMs = atMs;
  }
  if (holder === id) spans.push({ fromMs, toMs: nowMs });
  return spans;
}

function toSegment(span: { fromMs: number; toMs: number; level: Level }, startMs: number): Segment {
  const x = ((span.fromMs - startMs) / TIMELINE_MS) * WIDTH;
  const width = ((span.toMs - span.fromMs) / TIMELINE_MS) * WIDTH;
  // At least a third of a minute wide, so that a short stale spell stays visible.
  return { x: round(x), width: round(Math.max(width, 0.35)), level: span.level };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 1) return 'under a minute';
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
}
