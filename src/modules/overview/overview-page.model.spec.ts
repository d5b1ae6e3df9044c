import { describeDuration, relativeTime } from '../../common/format';
import { clusterSummary } from './overview-page.model';
import type { ServerReport } from './cluster-report';

const server = (status: ServerReport['status']): ServerReport => ({
  name: 'n',
  os: 'o',
  ipAddress: 'i',
  status,
  clockSkewMs: null,
  database: null,
  components: [],
});

describe('overview page model', () => {
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

  it('summarises the cluster in one line for the Administration page', () => {
    expect(clusterSummary([server('ok'), server('warning'), server('ok')]).text).toBe('3 servers, 1 warning');
    expect(clusterSummary([server('ok')]).text).toBe('1 server, all healthy');
    expect(clusterSummary([server('error'), server('warning')]).badge.level).toBe('error');
  });
});
