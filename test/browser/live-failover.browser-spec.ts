import type { Browser } from 'playwright-core';
import request from 'supertest';
import { launchChromium, listen } from '../support/browser';
import { ADMIN_PASSWORD, API_KEY, startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';

/** An administrator watches the overview on node-b while node-a, the primary, stops: no reload needed. */
describe('a failover watched on an open page', () => {
  jest.setTimeout(60_000);
  let database: TestDatabase;
  let nodeA: TestApp;
  let nodeB: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    nodeA = await startTestApp(database, { env: { CLUSTER_SERVER_NAME: 'node-a' } });
    await request(nodeA.http)
      .put('/api/cluster/settings')
      .set('X-ApiKey', API_KEY)
      .send({ heartbeatFrequencySeconds: 1, staleTimeoutSeconds: 3 })
      .expect(200);
    nodeB = await startTestApp(database, { env: { CLUSTER_SERVER_NAME: 'node-b' }, keys: nodeA.keys });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await nodeB?.close();
    await nodeA?.close().catch(() => undefined);
    await database?.drop();
  });

  it('shows the new primary without a reload', async () => {
    const baseUrl = await listen(nodeB);
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/login`);
    await page.getByLabel('User name').fill('Admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${baseUrl}/administration`);
    await page.goto(`${baseUrl}/administration/cluster`);
    const primary = page.locator('[data-field="primary-server"]');
    // node-b's first heartbeat makes it a backup; the page shows it by itself.
    await page.locator('[data-field="backup-servers"]', { hasText: 'node-b' }).waitFor({ timeout: 10_000 });
    expect(await primary.innerText()).toMatch(/^node-a/);
    await page.evaluate('window.stillTheSamePage = true');

    await nodeA.close();
    await page
      .locator('[data-field="primary-server"]', { hasText: /^\s*node-b/ })
      .waitFor({ timeout: 15_000 });
    expect(await primary.innerText()).toMatch(/^node-b epoch 2/);
    expect(await page.evaluate('window.stillTheSamePage')).toBe(true);
    await page.close();
  });
});
