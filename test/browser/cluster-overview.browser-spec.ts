import type { Browser } from 'playwright-core';
import { launchChromium, listen } from '../support/browser';
import { seedServer } from '../support/seed';
import { ADMIN_PASSWORD, randomKeys, startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';

describe('the Cluster Overview in a real browser', () => {
  jest.setTimeout(60_000);
  let database: TestDatabase;
  let node: TestApp;
  let browser: Browser;
  let baseUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    node = await startTestApp(database, { env: { CLUSTER_SERVER_NAME: 'browser-node' } });
    await seedServer(node, {
      name: 'node-stale',
      keys: node.keys,
      components: [{ type: 'service', heartbeatAgoMs: 600_000 }],
    });
    await seedServer(node, {
      name: 'node-odd',
      keys: randomKeys(),
      components: [{ type: 'web', heartbeatAgoMs: 1_000 }],
    });
    baseUrl = await listen(node);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await node?.close();
    await database?.drop();
  });

  it('signs in, follows More Info from Administration, and shows the servers table', async () => {
    const page = await browser.newPage();
    const scriptErrors: string[] = [];
    page.on('pageerror', (error) => scriptErrors.push(error.message));

    await page.goto(`${baseUrl}/administration/cluster`);
    await page.getByLabel('User name').fill('Admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${baseUrl}/administration/cluster`);

    await page.goto(`${baseUrl}/administration`);
    await page.getByRole('link', { name: 'More Info' }).click();
    await page.waitForURL(`${baseUrl}/administration/cluster`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Cluster Overview');

    const table = page.getByRole('table');
    const serverNames = await table
      .locator('tbody.server')
      .evaluateAll((groups) => groups.map((group) => group.getAttribute('data-server')));
    // Errors first (another cluster's keys), then warnings (stale), then the healthy ones.
    expect(serverNames).toEqual(['node-odd', 'node-stale', 'browser-node']);

    const stale = table.locator('tbody[data-server="node-stale"]');
    expect(await stale.locator('[data-check="heartbeat"]').innerText()).toMatch(/Stale\s+10 minutes ago/);
    expect(await stale.locator('th').innerText()).toContain('⚠ node-stale');
    const odd = table.locator('tbody[data-server="node-odd"]');
    expect(await odd.locator('[data-check="encryption-key"]').innerText()).toContain('Decryption failure');
    expect(await odd.locator('[data-check="machine-key"]').innerText()).toContain('Decryption failure');

    // The exact time is there on hover.
    const exact = await stale.locator('time').getAttribute('title');
    expect(new Date(exact!).toISOString()).toBe(exact);

    await page.screenshot({ path: `${__dirname}/../../.test-tmp/cluster-overview.png`, fullPage: true });
    expect(scriptErrors).toEqual([]);
  });
});
