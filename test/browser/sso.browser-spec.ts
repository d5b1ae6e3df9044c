import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, listen } from '../support/browser';
import { freePort } from '../support/node-process';
import { ssoEnv, startProvider, TestProvider, writeAccounts } from '../support/oidc';
import { pageChecker } from '../support/page-checks';
import { startTestApp, TestApp, THIS_RELEASE } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';

/**
 * A person in Chromium signs in through a real OpenID provider (oidc-provider, its own sign-in and consent
 * pages) and lands on the page they asked for with the role their groups give; a person in no mapped group
 * reads why not. The pages of this cluster on the way pass axe-core and html-validate.
 */
describe('single sign-on in Chromium', () => {
  jest.setTimeout(120_000);
  let folder: string;
  let database: TestDatabase;
  let provider: TestProvider;
  let node: TestApp;
  let baseUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'sso-browser-'));
    const accountsFile = join(folder, 'accounts.json');
    writeAccounts(accountsFile, {
      ada: { preferred_username: 'ada', groups: ['staff', 'cluster-ops'] },
      carol: { preferred_username: 'carol', groups: ['accounting'] },
    });
    const port = await freePort();
    const appUrl = `http://127.0.0.1:${port}`;
    // The provider's UserInfo endpoint carries the name and groups (the ID token only the subject).
    provider = await startProvider({ redirectUri: `${appUrl}/login/sso/callback`, accountsFile });
    database = await createTestDatabase('sqlite');
    node = await startTestApp(database, { env: ssoEnv(provider.issuer, appUrl), version: THIS_RELEASE });
    baseUrl = await listen(node, port);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await node?.close();
    await provider?.stop();
    await database?.drop();
    rmSync(folder, { recursive: true, force: true });
  });

  /** A new browser profile (no cookies of the app or the provider). */
  async function freshPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    return context.newPage();
  }

  /** At the provider's pages: any password will do there, the login names the account. */
  async function atProvider(page: Page, login: string): Promise<void> {
    await page.waitForURL((url) => url.href.startsWith(provider.issuer));
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('whatever');
    await page.locator('button[type="submit"]').click();
    await page.getByRole('button', { name: 'Continue' }).click();
  }

  it('signs in through the provider and lands where the person was going, as an operator', async () => {
    const page = await freshPage();
    const { check } = pageChecker(page);
    // Not signed in: the overview sends the person to sign in, and back afterwards.
    expect(await check(() => page.goto(`${baseUrl}/administration/cluster/events`))).toEqual({
      axe: [],
      html: [],
    });
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByRole('link', { name: 'Sign in with single sign-on' }).click();
    await atProvider(page, 'ada');
    await page.waitForURL(`${baseUrl}/administration/cluster/events`);
    await page.goto(`${baseUrl}/account`);
    await expect(page.locator('main p.checked-by').innerText()).resolves.toBe(
      'Signed in as ada, operator: also drains, resumes, adds and removes components.',
    );
    // An operator's overview offers drain, not the settings.
    await page.goto(`${baseUrl}/administration/cluster`);
    await expect(page.getByRole('link', { name: /^Drain/ }).count()).resolves.toBeGreaterThan(0);
    await expect(page.getByRole('link', { name: 'Configure' }).count()).resolves.toBe(0);
    await page.context().close();
  });

  it('tells a person in no mapped group that they may not use the cluster', async () => {
    const page = await freshPage();
    const { check } = pageChecker(page);
    await page.goto(`${baseUrl}/login`);
    await page.getByRole('link', { name: 'Sign in with single sign-on' }).click();
    await page.waitForURL((url) => url.href.startsWith(provider.issuer));
    const findings = await check(() => atProvider(page, 'carol'), baseUrl);
    expect(findings).toEqual({ axe: [], html: [] });
    await expect(page.locator('main').innerText()).resolves.toContain(
      'you are in no group that may use this cluster',
    );
    await page.goto(`${baseUrl}/account`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.context().close();
  });
});
