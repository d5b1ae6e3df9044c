import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { launchChromium, listen } from '../support/browser';
import { pageChecker } from '../support/page-checks';
import { seedServer } from '../support/seed';
import {
  ADMIN_PASSWORD,
  API_KEY,
  randomKeys,
  startTestApp,
  TestApp,
  THIS_RELEASE,
} from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';

/**
 * Every page state a person meets, at a phone's width and a desktop's, checked by axe-core (zero violations)
 * and html-validate's recommended rules (zero errors) on the HTML the server sent.
 */
describe.each([390, 1280])('every page at %i px, by axe-core and html-validate', (width) => {
  jest.setTimeout(120_000);
  let database: TestDatabase;
  let node: TestApp;
  let browser: Browser;
  let baseUrl: string;
  let page: Page;
  let check: ReturnType<typeof pageChecker>['check'];
  let submit: ReturnType<typeof pageChecker>['submit'];

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    node = await startTestApp(database, {
      env: { CLUSTER_SERVER_NAME: 'checked-node' },
      version: THIS_RELEASE,
    });
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
    await request(node.http)
      .post('/api/cluster/components')
      .set('X-ApiKey', API_KEY)
      .send({ serverName: 'by-hand', os: 'Linux', ipAddress: '10.0.0.50', type: 'web', version: '1.0.0' })
      .expect(201);
    baseUrl = await listen(node);
    browser = await launchChromium();
    // The pages forbid inline scripts; axe is injected as one, so this browser context ignores the policy.
    const context = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true });
    page = await context.newPage();
    ({ check, submit } = pageChecker(page));
  });

  afterAll(async () => {
    await browser?.close();
    await node?.close();
    await database?.drop();
  });

  const visit = (path: string) => check(() => page.goto(`${baseUrl}${path}`));

  it('the sign-in page, empty and with an error', async () => {
    expect(await visit('/login')).toEqual({ axe: [], html: [] });
    await page.getByLabel('User name').fill('Admin');
    await page.getByLabel('Password').fill('not-the-password');
    expect(await submit('Sign in')).toEqual({ axe: [], html: [] });
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    expect(await submit('Sign in')).toEqual({ axe: [], html: [] });
  });

  it.each([
    '/administration',
    '/administration/cluster',
    '/administration/cluster?status=problem',
    '/administration/cluster/configure',
    '/administration/cluster/components/add',
    '/administration/cluster/events',
    '/administration/cluster/notifications',
    '/account',
    '/administration/users',
    '/no/such/page',
  ])('%s', async (path) => {
    expect(await visit(path)).toEqual({ axe: [], html: [] });
  });

  it('the settings form with errors', async () => {
    await visit('/administration/cluster/configure');
    await page.getByLabel(/Heartbeat frequency/).fill('0');
    await page.getByLabel(/Stale timeout/).fill('abc');
    expect(await submit('Save')).toEqual({ axe: [], html: [] });
  });

  it('the add form with errors', async () => {
    await visit('/administration/cluster/components/add');
    expect(await submit('Add component')).toEqual({ axe: [], html: [] });
  });

  it('the removal confirmation', async () => {
    await visit('/administration/cluster');
    const link = page.locator('tbody[data-server="by-hand"] a', { hasText: 'Remove' });
    expect(await check(() => link.click())).toEqual({ axe: [], html: [] });
  });

  it('the notifications form with errors, and an endpoint with its deliveries', async () => {
    await visit('/administration/cluster/notifications');
    await page.getByLabel('URL', { exact: true }).fill('ftp://example.com');
    expect(await submit('Add endpoint')).toEqual({ axe: [], html: [] });
    const { body } = await request(node.http)
      .post('/api/cluster/webhooks')
      .set('X-ApiKey', API_KEY)
      .send({
        name: 'Nobody listens',
        url: 'http://127.0.0.1:9/hook',
        secret: 'checkers-secret-0123',
        events: ['primary-changed'],
      })
      .expect(201);
    await request(node.http)
      .post(`/api/cluster/webhooks/${body.id}/test`)
      .set('X-ApiKey', API_KEY)
      .expect(202);
    expect(await visit('/administration/cluster/notifications')).toEqual({ axe: [], html: [] });
  });

  it('the Users page with errors, a new user with the password shown once, and a role changed', async () => {
    await visit('/administration/users');
    await page.getByLabel('User name').fill('<i>ada</i>\u202e');
    expect(await submit('Add user')).toEqual({ axe: [], html: [] });
    await page.getByLabel('User name').fill('ada');
    await page.getByLabel('Role', { exact: true }).selectOption('operator');
    expect(await submit('Add user')).toEqual({ axe: [], html: [] });
    await page.getByLabel('Role of ada', { exact: true }).selectOption('viewer');
    expect(await submit('Save the role of ada')).toEqual({ axe: [], html: [] });
  });

  it('the account page: the key form with errors, a new key shown once, and the list of keys', async () => {
    await visit('/account');
    expect(await submit('Make a key')).toEqual({ axe: [], html: [] });
    await page.getByLabel('Key name').fill('deploy');
    expect(await submit('Make a key')).toEqual({ axe: [], html: [] });
    expect(await visit('/account')).toEqual({ axe: [], html: [] });
  });

  it('the drain confirmation of the last eligible component, and the overview with it drained', async () => {
    await visit('/administration/cluster');
    const link = page.locator('tbody[data-server="checked-node"] a', { hasText: 'Drain' });
    expect(await check(() => link.click())).toEqual({ axe: [], html: [] });
    await page.getByLabel(/I understand/).check();
    expect(await submit('Drain the service component')).toEqual({ axe: [], html: [] });
  });
});
