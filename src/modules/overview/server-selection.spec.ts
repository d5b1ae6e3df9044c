import { BadRequestException } from '@nestjs/common';
import type { ServerReport } from './cluster-report';
import { pageListing } from './overview-page.model';
import { apiSelection, pageSelection, selectServers } from './server-selection';

const server = (name: string, status: ServerReport['status']): ServerReport => ({
  name,
  os: 'Linux',
  ipAddress: '10.0.0.1',
  status,
  clockSkewMs: null,
  database: null,
  components: [],
});

/** 120 servers by name: every tenth an error, every seventh (not tenth) a warning. */
const cluster = Array.from({ length: 120 }, (_, i) =>
  server(`node-${String(i).padStart(3, '0')}`, i % 10 === 0 ? 'error' : i % 7 === 0 ? 'warning' : 'ok'),
);

const refusal = (parse: () => unknown) => {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestException);
    return (error as BadRequestException).message;
  }
  throw new Error('accepted');
};

describe('server selection', () => {
  it('reads the API query, ignores parameters it does not know, and names the parameter it refuses', () => {
    expect(apiSelection({ status: 'error, warning', name: ' Node-01 ', limit: '5', other: 'x' })).toEqual({
      statuses: ['error', 'warning'],
      name: 'Node-01',
      offset: 0,
      limit: 5,
    });
    expect(refusal(() => apiSelection({ status: 'ok,bad' }))).toMatch(
      /status must be ok, warning or error.*"bad"/,
    );
    expect(refusal(() => apiSelection({ limit: '1001' }))).toMatch(
      /limit must be a whole number from 1 to 1000/,
    );
    expect(refusal(() => apiSelection({ offset: '-1' }))).toMatch(/offset must be a whole number/);
    expect(refusal(() => apiSelection({ name: ['a', 'b'] }))).toBe('Give the name parameter once.');
    expect(refusal(() => apiSelection({ name: 'a\u0000b' }))).toMatch(/^name /);
  });

  it('filters by status and name, and puts errors and warnings first only where asked', () => {
    const byName = selectServers(cluster, { statuses: null, name: '-01', offset: 0, limit: null }, 'name');
    expect(byName.servers.map((s) => s.name)).toEqual(Array.from({ length: 10 }, (_, i) => `node-01${i}`));
    const first = selectServers(
      cluster,
      { statuses: null, name: null, offset: 0, limit: 3 },
      'problems-first',
    );
    expect(first.matched).toBe(120);
    expect(first.servers.map((s) => s.name)).toEqual(['node-000', 'node-010', 'node-020']);
  });

  it('pages the overview 50 at a time, problems first, keeping the filter in the pager and clamping past the end', () => {
    const second = pageListing(cluster, pageSelection({ page: '2' }, 50));
    expect(second.listing.text).toBe('Showing 51–100 of 120 servers, errors and warnings first.');
    expect(second.listing.pager).toEqual({
      page: 2,
      pages: 3,
      previous: '/administration/cluster',
      next: '/administration/cluster?page=3',
    });
    const problems = pageListing(cluster, pageSelection({ status: 'problem', name: 'node', page: '9' }, 5));
    // 12 errors and 16 warnings match: 6 pages of 5, and page 9 shows the last.
    expect(problems.listing.text).toBe('28 servers match; showing 26–28.');
    expect(problems.listing.pager?.page).toBe(6);
    expect(problems.listing.pager?.previous).toBe('/administration/cluster?status=problem&name=node&page=5');
    expect(problems.servers.every((s) => s.status === 'warning')).toBe(true);
    expect(pageListing(cluster, pageSelection({ name: 'nothing' }, 50)).listing.empty).toBe(
      'No server matches this filter.',
    );
    expect(pageListing([], pageSelection({}, 50)).listing.empty).toBe('No server has registered yet.');
    expect(refusal(() => pageSelection({ status: 'fine' }, 50))).toMatch(
      /status must be one of all, problem/,
    );
  });
});
