import type { Browser, Page } from 'playwright-core';
import { launchChromium, listen } from '../support/browser';
import { ADMIN_PASSWORD, startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';

const HOSTILE_NAME = `<img src=x onerror="window.__xss=1;alert(1)">`;
const HOSTILE_OS = `<script>window.__xss=2</script>Linux`;

describe('a component named with markup, in a real browser', () => {
  jest.setTimeout(60_000);
  let database: TestDatabase;
  let node: TestApp;
  let browser: Browser;
  let baseUrl: string;
  let page: Page;
  const dialogs: string[] = [];
  const scriptErrors: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    node = await startTestApp(database, { env: { CLUSTER_SERVER_NAME: 'browser-node' } });
    baseUrl = await listen(node);
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => scriptErrors.push(error.message));
  });

  afterAll(async () => {
    await browser?.close();
    await node?.close();
    await database?.drop();
  });

  /** No script of the name ran, and none of its markup became an element. */
  const expectInert = async () => {
    expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('main img, main script').count()).toBe(0);
    expect(dialogs).toEqual([]);
  };

  it('is added through the form and shown as text on every page', async () => {
    await page.goto(`${baseUrl}/login`);
    await page.getByLabel('User name').fill('Admin');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await Promise.all([
      page.waitForURL(`${baseUrl}/administration`),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);

    await page.goto(`${baseUrl}/administration/cluster`);
    await Promise.all([
      page.waitForURL(/components\/add$/),
      page.getByRole('link', { name: 'Manually add a component' }).click(),
    ]);
    await page.getByLabel('Server name').fill(HOSTILE_NAME);
    await page.getByLabel('Operating system and version').fill(HOSTILE_OS);
    await page.getByLabel('IP address').fill('192.0.2.66');
    await page.getByLabel('Service').check();
    await page.getByLabel('Software version').fill('1.0.0');
    await Promise.all([
      page.waitForURL(`${baseUrl}/administration/cluster`),
      page.getByRole('button', { name: 'Add component' }).click(),
    ]);

    expect(await page.getByRole('status').innerText()).toContain(
      `Added a service component to ${HOSTILE_NAME} by hand.`,
    );
    const row = page.locator('tbody.server', { hasText: '192.0.2.66' });
    expect(await row.locator('th').innerText()).toContain(HOSTILE_NAME);
    expect(await row.innerText()).toContain(HOSTILE_OS);
    expect(await row.innerText()).toContain('added by hand');
    await expectInert();

    await page.goto(`${baseUrl}/administration/cluster/events`);
    expect(await page.locator('tr[data-event-kind="component-added"]').innerText()).toContain(HOSTILE_NAME);
    await expectInert();

    await page.goto(`${baseUrl}/api/cluster`);
    await expectInert();
  });

  it('is removed after a confirmation that names it as text', async () => {
    await page.goto(`${baseUrl}/administration/cluster`);
    await Promise.all([
      page.waitForURL(/\/remove$/),
      page.getByRole('link', { name: `Remove the Service component of ${HOSTILE_NAME}` }).click(),
    ]);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe(
      `Remove the Service component of ${HOSTILE_NAME}?`,
    );
    await expectInert();
    await Promise.all([
      page.waitForURL(`${baseUrl}/administration/cluster`),
      page.getByRole('button', { name: 'Remove the Service component' }).click(),
    ]);
    expect(await page.getByRole('status').innerText()).toContain(
      `Removed the service component of ${HOSTILE_NAME}.`,
    );
    expect(await page.locator('tbody.server', { hasText: '192.0.2.66' }).count()).toBe(0);
    await expectInert();
    expect(scriptErrors).toEqual([]);
  });
});
