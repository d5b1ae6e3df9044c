import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CLIENT_ID = 'cluster-overview';
export const CLIENT_SECRET = 'test-client-secret-0123456789';

/** What the provider says of a person: their name, their groups, anything else. */
export type Account = Record<string, unknown>;

export interface TestProvider {
  issuer: string;
  stop(): Promise<void>;
}

/**
 * A real OpenID Connect provider (test/support/oidc-provider.mjs) in its own process, for the callback
 * given, with these accounts. `idTokenClaims`: the name and groups travel in the ID token too (else only
 * from the UserInfo endpoint).
 */
export async function startProvider(options: {
  redirectUri: string;
  /** A JSON file of the accounts by login, read at every sign-in (writeAccounts). */
  accountsFile: string;
  idTokenClaims?: boolean;
  /** A port of its own; by default a free one. */
  port?: number;
  /** The keys it publishes are not the ones that signed its ID tokens. */
  wrongKeys?: boolean;
}): Promise<TestProvider> {
  const child = spawn(
    process.execPath,
    [
      join(__dirname, 'oidc-provider.mjs'),
      JSON.stringify({ ...options, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test' } },
  );
  let output = '';
  const issuer = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the test provider did not start:\n${output}`)), 20_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the test provider exited (${code}):\n${output}`));
    });
  });
  return {
    issuer,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

/** Sets what the provider says of each person from their next sign-in on. */
export function writeAccounts(file: string, accounts: Record<string, Account>): void {
  writeFileSync(file, JSON.stringify(accounts));
}

/** The environment that configures single sign-on against a test provider. */
export function ssoEnv(
  issuer: string,
  appUrl: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    OIDC_ISSUER_URL: issuer,
    OIDC_CLIENT_ID: CLIENT_ID,
    OIDC_CLIENT_SECRET: CLIENT_SECRET,
    OIDC_REDIRECT_URL: `${appUrl}/login/sso/callback`,
    OIDC_ROLE_MAPPING: 'administrator=cluster-admins;operator=cluster-ops;viewer=staff',
    ...extra,
  };
}

/**
 * A person at the provider's own sign-in pages, over plain HTTP (cookies kept, redirects followed by hand):
 * from the app's authorization URL through the login and consent forms to the callback URL the provider
 * sends back to, which is returned without being visited.
 */
export async function throughProvider(
  authorizationUrl: string,
  login: string,
  callbackPrefix: string,
): Promise<string> {
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
  const remember = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
  };
  let url = authorizationUrl;
  for (let step = 0; step < 20; step += 1) {
    if (url.startsWith(callbackPrefix)) return url;
    const response = await fetch(url, { redirect: 'manual', headers: { cookie: cookieHeader() } });
    remember(response);
    if (response.status >= 300 && response.status < 400) {
      url = new URL(response.headers.get('location')!, url).href;
      continue;
    }
    const page = await response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
    if (response.status !== 200 || !action)
      throw new Error(`the provider answered ${response.status}:\n${page}`);
    const prompt = /name="prompt" value="([^"]+)"/.exec(page)![1];
    const body = new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'any' } : { prompt });
    const submitted = await fetch(new URL(action.replace(/&amp;/g, '&'), url), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    remember(submitted);
    url = new URL(submitted.headers.get('location')!, url).href;
  }
  throw new Error('the provider never sent the browser back');
}
