import { describeDuration, relativeTime } from './format';

describe('format', () => {
  it('says when a heartbeat was seen in words', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(relativeTime(now - 2_000, now)).toBe('just now');
    expect(relativeTime(now - 42_000, now)).toBe('42 seconds ago');
    expect(relativeTime(now - 5 * 60_000, now)).toBe('5 minutes ago');
    expect(relativeTime(now - 3 * 3_600_000, now)).toBe('3 hours ago');
    expect(relativeTime(now - 2 * 86_400_000, now)).toBe('2 days ago');
  });

  it('describes settings in the largest whole unit', () => {
    expect(describeDuration(30)).toBe('30 seconds');
    expect(describeDuration(300)).toBe('5 minutes');
    expect(describeDuration(90)).toBe('90 seconds');
    expect(describeDuration(3600)).toBe('1 hour');
  });
});
