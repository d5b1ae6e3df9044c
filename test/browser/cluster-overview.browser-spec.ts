import type { Browser } from 'playwright-core';
import { launchChromium, listen } from '../support/browser';
import { seedServer } from '../support/seed';
import request from 'supertest';
import { ADMIN_PASSWORD, API_KEY, randomKeys, startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { WebhookReceiver } from '../support/webhook-receiver';

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

    // The exact time is there on hover, readable, and in the datetime attribute for machines.
    const time = stale.locator('[data-check="heartbeat"] time');
    const exact = await time.getAttribute('datetime');
    expect(new Date(exact!).toISOString()).toBe(exact);
    // In UTC from the server, and in the reader's own time once the page's script ran.
    expect(await time.getAttribute('title')).toMatch(/ \(your time\) · \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    expect(await time.getAttribute('title')).toContain(`${exact!.slice(0, 19).replace('T', ' ')} UTC`);

    await page.screenshot({ path: `${__dirname}/../../.test-tmp/cluster-overview.png`, fullPage: true });
    expect(scriptErrors).toEqual([]);
  });

  it('keeps an open page live: a change appears without a reload, and an unreachable node is said and recovered from', async () => {
    // Refresh every 2 s (the page follows the heartbeat frequency, at least every 2 s).
    await request(node.http)
      .put('/api/cluster/settings')
      .set('X-ApiKey', API_KEY)
      .send({ heartbeatFrequencySeconds: 2, staleTimeoutSeconds: 30 })
      .expect(200);
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/login`);
    await page.getByLabel('User name').fill('Admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${baseUrl}/administration`);
    await page.goto(`${baseUrl}/administration/cluster`);
    // A mark that a reload would wipe out.
    await page.evaluate('window.stillTheSamePage = true');
    const status = page.locator('[data-live-status]');
    await expect(status.innerText()).resolves.toMatch(/Updated just now; refreshes every 2 s\./);

    await request(node.http)
      .post('/api/cluster/components')
      .set('X-ApiKey', API_KEY)
      .send({ serverName: 'node-late', os: 'Linux', ipAddress: '10.0.0.99', type: 'web', version: '1.0.0' })
      .expect(201);
    await page.locator('tbody[data-server="node-late"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-field="server-count"]').innerText()).toBe('4');
    expect(await page.evaluate('window.stillTheSamePage')).toBe(true);

    // The node goes away: the page says so calmly, keeps what it showed, and recovers when it is back.
    const server = node.app.getHttpServer();
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await page.locator('.live-status.live-trouble').waitFor({ timeout: 10_000 });
    expect(await status.innerText()).toContain('This node cannot be reached right now.');
    expect(await page.locator('tbody[data-server="node-late"]').count()).toBe(1);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    await page.locator('.live-status:not(.live-trouble)').waitFor({ timeout: 10_000 });
    expect(await page.evaluate('window.stillTheSamePage')).toBe(true);
    await page.close();
  });

  it('keeps the Notifications page live: a delivery made while it is open shows without a reload', async () => {
    const receiver = new WebhookReceiver();
    const { body } = await request(node.http)
      .post('/api/cluster/webhooks')
      .set('X-ApiKey', API_KEY)
      .send({
        name: 'Open page',
        url: `${await receiver.start()}/hook`,
        secret: 'browser-secret-0123456',
        events: ['primary-changed'],
      })
      .expect(201);
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/login`);
    await page.getByLabel('User name').fill('Admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${baseUrl}/administration`);
    await page.goto(`${baseUrl}/administration/cluster/notifications`);
    await page.evaluate('window.stillTheSamePage = true');
    expect(await page.locator(`[data-webhook="${body.id}"]`).innerText()).toContain('Nothing sent yet.');
    await request(node.http)
      .post(`/api/cluster/webhooks/${body.id}/test`)
      .set('X-ApiKey', API_KEY)
      .expect(202);
    await page
      .locator(`[data-webhook="${body.id}"] [data-field="delivery-status"]`, {
        hasText: 'Delivered (HTTP 204)',
      })
      .waitFor({ timeout: 10_000 });
    expect(await page.evaluate('window.stillTheSamePage')).toBe(true);
    expect(receiver.received).toHaveLength(1);
    await page.close();
    await receiver.stop();
  });

  it.each([390, 768, 1280])(
    'never scrolls the page sideways at %i px: wide tables scroll inside their card, the header wraps',
    async (width) => {
      const context = await browser.newContext({ viewport: { width, height: 800 } });
      const page = await context.newPage();
      await page.goto(`${baseUrl}/login`);
      await page.getByLabel('User name').fill('Admin');
      await page.getByLabel('Password').fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(`${baseUrl}/administration`);
      const overflow: string[] = [];
      for (const path of [
        '/administration',
        '/administration/cluster',
        '/administration/cluster/configure',
        '/administration/cluster/events',
        '/administration/cluster/components/add',
        '/administration/cluster/notifications',
        '/account',
      ]) {
        await page.goto(`${baseUrl}${path}`);
        // A string, evaluated in the page (this file is compiled without the DOM's types).
        const { scrollWidth, innerWidth, signOutInHeader } = await page.evaluate<{
          scrollWidth: number;
          innerWidth: number;
          signOutInHeader: boolean;
        }>(`(() => {
          const header = document.querySelector('header.top').getBoundingClientRect();
          const button = document.querySelector('.signout button').getBoundingClientRect();
          return {
            scrollWidth: document.documentElement.scrollWidth,
            innerWidth: window.innerWidth,
            signOutInHeader: button.top >= header.top && button.bottom <= header.bottom && button.right <= header.right,
          };
        })()`);
        if (scrollWidth > innerWidth) overflow.push(`${path}: ${scrollWidth} px wide`);
        if (!signOutInHeader) overflow.push(`${path}: the Sign out button is outside the header`);
      }
      await context.close();
      expect(overflow).toEqual([]);
    },
  );
});
