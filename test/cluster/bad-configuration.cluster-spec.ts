import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exitOf, runMain } from '../support/node-process';

describe('a node started with a bad setting', () => {
  jest.setTimeout(30_000);
  let folder: string;

  beforeAll(() => (folder = mkdtempSync(join(tmpdir(), 'cluster-badconfig-'))));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it.each([
    ['ENCRYPTION_KEY', { ENCRYPTION_KEY: 'not-hex' }],
    ['MACHINE_KEY', { MACHINE_KEY: 'abcd' }],
    ['PORT', { PORT: '99999' }],
    ['PORT', { PORT: 'eighty' }],
    ['CLUSTER_COMPONENTS', { CLUSTER_COMPONENTS: 'web,cron' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://localhost/cluster' }],
  ])('exits at once with one line naming %s', async (variable, env) => {
    const started = Date.now();
    const child = runMain({ DATABASE_URL: `file:${join(folder, 'cluster.db')}`, ...env });
    const { code } = await exitOf(child);
    expect(code).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    const lines = child.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^Configuration error: ${variable}: `));
  });

  it('never echoes a malformed key back', async () => {
    const child = runMain({
      DATABASE_URL: `file:${join(folder, 'cluster.db')}`,
      MACHINE_KEY: 'secret-looking-value',
    });
    await exitOf(child);
    expect(child.output()).not.toContain('secret-looking-value');
  });
});
