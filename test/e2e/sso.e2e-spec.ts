import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { PrismaService } from '../../src/modules/database/prisma.service';
import { admin } from '../support/admin-command';
import { freePort } from '../support/node-process';
import { seedServer } from '../support/seed';
import { ssoEnv, startProvider, TestProvider, throughProvider, writeAccounts } from '../support/oidc';
import { csrfTokenIn, signedInAgent, startTestApp, TestApp, THIS_RELEASE } from '../support/test-app';
import { createTestDatabase, databaseKinds, TestDatabase } from '../support/test-database';

jest.setTimeout(60_000);

type Agent = ReturnType<typeof request.agent>;

const PEOPLE = {
  ada: { preferred_username: 'ada', name: 'Ada', groups: ['staff', 'cluster-ops'] },
  bob: { preferred_username: 'bob', groups: ['staff'] },
  carol: { preferred_username: 'carol', groups: ['accounting'] },
  // A person of the directory who goes by the name of the cluster's first administrator.
  impostor: { preferred_username: 'Admin', groups: ['cluster-admins'] },
  nameless: { groups: ['staff'] },
  markup: { preferred_username: '<b>x</b>', groups: ['staff'] },
  dora: { preferred_username: 'dora', groups: ['cluster-admins'] },
};

// On SQLite the provider puts the name and groups into the ID token; on PostgreSQL only its UserInfo
// endpoint has them (the specification's default for the code flow): both ways a provider may send them.
describe.each(databaseKinds().map((kind) => [kind, kind === 'sqlite'] as const))(
  'single sign-on on %s (claims in the ID token: %s)',
  (kind, idTokenClaims) => {
    let database: TestDatabase;
    let node: TestApp;
    let provider: TestProvider;
    let appUrl: string;
    let accountsFile: string;
    let folder: string;

    const prisma = () => node.app.get(PrismaService).client;

    /** From the app's "Sign in with single sign-on" to the provider's answer: the callback's path and query. */
    async function answerFor(
      agent: Agent,
      login: string,
      returnTo = '/administration/cluster',
    ): Promise<string> {
      const start = await agent.get(`/login/sso?returnTo=${encodeURIComponent(returnTo)}`).expect(303);
      const callback = await throughProvider(start.headers.location, login, `${appUrl}/login/sso/callback`);
      return callback.slice(appUrl.length);
    }

    beforeAll(async () => {
      folder = mkdtempSync(join(tmpdir(), 'sso-'));
      accountsFile = join(folder, 'accounts.json');
      writeAccounts(accountsFile, PEOPLE);
      // The app is never reached by the provider (the browser carries the answer), so it need not listen:
      // its address only has to be the one the provider sends people back to.
      appUrl = `http://127.0.0.1:${await freePort()}`;
      provider = await startProvider({
        redirectUri: `${appUrl}/login/sso/callback`,
        accountsFile,
        idTokenClaims,
      });
      database = await createTestDatabase(kind);
      node = await startTestApp(database, { env: ssoEnv(provider.issuer, appUrl), version: THIS_RELEASE });
    });

    afterAll(async () => {
      await node?.close();
      await provider?.stop();
      await database?.drop();
      rmSync(folder, { recursive: true, force: true });
    });

    it('offers single sign-on beside the password, with a state, a nonce and an S256 PKCE challenge', async () => {
      const login = await request(node.http).get('/login').expect(200);
      expect(login.text).toContain('href="/login/sso?returnTo&#x3D;%2Fadministration"');
      expect(login.text).toContain('name="password"');
      const agent = request.agent(node.http);
      const start = await agent.get('/login/sso').expect(303);
      const url = new URL(start.headers.location);
      expect(`${url.origin}`).toBe(provider.issuer);
      expect(Object.fromEntries(url.searchParams)).toMatchObject({
        client_id: 'cluster-overview',
        response_type: 'code',
        redirect_uri: `${appUrl}/login/sso/callback`,
        scope: 'openid profile',
        code_challenge_method: 'S256',
        state: expect.stringMatching(/^[\w-]{32,}$/),
        nonce: expect.stringMatching(/^[\w-]{32,}$/),
        code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      });
      // The verifier and the state stay in the browser's signed cookie, never in the database.
      expect([start.headers['set-cookie']].flat().join(';')).toContain('cluster.session=');
    });

    it('signs a person in with the role their groups give, makes their user, and names single sign-on in the event', async () => {
      const agent = request.agent(node.http);
      const callback = await answerFor(agent, 'ada');
      const landed = await agent.get(callback).expect(303);
      expect(landed.headers.location).toBe('/administration/cluster');
      const account = await agent.get('/account').expect(200);
      expect(account.text).toContain('Signed in as <strong>ada</strong>, operator');
      expect(account.text).toContain('You sign in through single sign-on');
      expect(account.text).not.toContain('name="currentPassword"');
      expect(
        await prisma().user.findUniqueOrThrow({
          where: { username: 'ada' },
          select: { role: true, signIn: true, ssoSubject: true, lastSignInAtMs: true, passwordHash: true },
        }),
      ).toMatchObject({
        role: 'operator',
        signIn: 'sso',
        ssoSubject: `${provider.issuer} ada`,
        lastSignInAtMs: expect.anything(),
        passwordHash: expect.not.stringMatching(/^scrypt/),
      });
      const event = await prisma().event.findFirstOrThrow({
        where: { kind: 'user-added' },
        orderBy: { id: 'desc' },
      });
      expect(event).toMatchObject({ actor: 'single sign-on' });
      expect(event.message).toContain('"ada" as operator');
      // An operator: may drain (the route answers), may not change the settings.
      await agent.get('/administration/cluster/configure').expect(403);
    });

    it('gives the role the groups give at every sign-in, and says so in an event', async () => {
      writeAccounts(accountsFile, { ...PEOPLE, bob: { preferred_username: 'bob', groups: ['staff'] } });
      const first = request.agent(node.http);
      await first.get(await answerFor(first, 'bob')).expect(303);
      expect((await first.get('/account').expect(200)).text).toContain('<strong>bob</strong>, viewer');

      writeAccounts(accountsFile, {
        ...PEOPLE,
        bob: { preferred_username: 'bob', groups: ['staff', 'cluster-admins'] },
      });
      const again = request.agent(node.http);
      await again.get(await answerFor(again, 'bob')).expect(303);
      expect((await again.get('/account').expect(200)).text).toContain('<strong>bob</strong>, administrator');
      const changed = await prisma().event.findFirstOrThrow({
        where: { kind: 'user-role-changed' },
        orderBy: { id: 'desc' },
      });
      expect(changed).toMatchObject({ actor: 'single sign-on' });
      expect(changed.message).toBe(
        '"bob" is now administrator (was viewer): the directory\'s groups say so.',
      );
      // The role is the user's, read at every request: the first session is an administrator's now too.
      await first.get('/administration/cluster/configure').expect(200);

      // The Users page shows where the role comes from and offers no role form for it; the page's POST and
      // the command are refused, nothing changed.
      const users = await again.get('/administration/users').expect(200);
      const row = /<tr data-user="bob">[\s\S]*?<\/tr>/.exec(users.text)![0];
      expect(row).toContain('Single sign-on');
      expect(row).toContain("given by the directory's groups");
      expect(row).not.toContain('name="role"');
      const bobId = (await prisma().user.findUniqueOrThrow({ where: { username: 'bob' } })).id;
      const refused = await again
        .post(`/administration/users/${bobId}/role`)
        .type('form')
        .send({ _csrf: csrfTokenIn(users.text), role: 'viewer' })
        .expect(409);
      expect(refused.text).toContain('signs in through single sign-on');
      expect(admin(database.url, 'set-role', 'bob', 'viewer')).toMatchObject({ code: 1 });
      expect(admin(database.url, 'reset-password', 'bob')).toMatchObject({ code: 1 });
      expect((await prisma().user.findUniqueOrThrow({ where: { username: 'bob' } })).role).toBe(
        'administrator',
      );
    });

    it('finishes on another node a sign-in begun on one (behind a load balancer), with the same keys', async () => {
      const other = await startTestApp(database, {
        env: { ...ssoEnv(provider.issuer, appUrl), CLUSTER_SERVER_NAME: 'e2e-node-2' },
        keys: node.keys,
        version: THIS_RELEASE,
      });
      try {
        const cookiesOf = (answer: request.Response) =>
          (answer.headers['set-cookie'] as unknown as string[]).map((line) => line.split(';')[0]).join('; ');
        const start = await request(node.http)
          .get('/login/sso?returnTo=/administration/cluster/events')
          .expect(303);
        const cookie = cookiesOf(start);
        const answer = await throughProvider(start.headers.location, 'ada', `${appUrl}/login/sso/callback`);
        const callback = answer.slice(appUrl.length);
        const landed = await request(other.http).get(callback).set('cookie', cookie).expect(303);
        expect(landed.headers.location).toBe('/administration/cluster/events');
        const account = await request(node.http).get('/account').set('cookie', cookiesOf(landed)).expect(200);
        expect(account.text).toContain('<strong>ada</strong>, operator');
      } finally {
        await other.close();
      }
    });

    it('goes back only to a path of this site, whatever returnTo says', async () => {
      for (const returnTo of [
        'https://evil.example/',
        '//evil.example/x',
        '/\\evil',
        'javascript:alert(1)',
      ]) {
        const agent = request.agent(node.http);
        const landed = await agent.get(await answerFor(agent, 'ada', returnTo)).expect(303);
        expect(landed.headers.location).toBe('/administration');
      }
    });

    it('refuses a person in no mapped group with a page that says so, and makes no user', async () => {
      const agent = request.agent(node.http);
      const refused = await agent.get(await answerFor(agent, 'carol')).expect(403);
      expect(refused.text).toContain('you are in no group that may use this cluster');
      expect(refused.text).toContain('href="/login"');
      expect(await prisma().user.count({ where: { username: 'carol' } })).toBe(0);
      await agent.get('/account').expect(303);
    });

    it('never takes over a user of the same name who signs in with a password', async () => {
      const before = await prisma().user.findUniqueOrThrow({ where: { username: 'Admin' } });
      const agent = request.agent(node.http);
      const refused = await agent.get(await answerFor(agent, 'impostor')).expect(409);
      expect(refused.text).toContain('There is a user &quot;Admin&quot; here already');
      expect(await prisma().user.findUniqueOrThrow({ where: { username: 'Admin' } })).toEqual(before);
      await agent.get('/account').expect(303);
    });

    it('refuses a person the provider gives no name, and shows a name with markup as text', async () => {
      const nameless = request.agent(node.http);
      expect((await nameless.get(await answerFor(nameless, 'nameless')).expect(403)).text).toContain(
        'sent no &quot;preferred_username&quot; claim',
      );
      expect(
        await prisma().user.count({ where: { signIn: 'sso', ssoSubject: { endsWith: ' nameless' } } }),
      ).toBe(0);
      const markup = request.agent(node.http);
      await markup.get(await answerFor(markup, 'markup')).expect(303);
      const account = await markup.get('/account').expect(200);
      expect(account.text).toContain('<strong>&lt;b&gt;x&lt;/b&gt;</strong>, viewer');
      expect(account.text).not.toContain('<b>x</b>');
    });

    it('refuses an answer used twice, with another state, or that this browser did not ask for', async () => {
      const agent = request.agent(node.http);
      const callback = await answerFor(agent, 'ada');
      const forged = callback.replace(/state=[^&]+/, 'state=forged-state-value');
      // Another state: refused, and the sign-in under way is used up.
      expect((await agent.get(forged).expect(400)).text).toContain('did not pass the checks');
      expect((await agent.get(callback).expect(400)).text).toContain('belongs to no sign-in under way');

      const second = request.agent(node.http);
      const answer = await answerFor(second, 'ada');
      // Another browser (no sign-in under way there) cannot use it.
      await request(node.http).get(answer).expect(400);
      await second.get(answer).expect(303);
      await second.get(answer).expect(400);
      await request(node.http).get('/login/sso/callback?code=x&state=y').expect(400);
      // What the provider says when it refused (the person cancelled), shown as text.
      const cancelled = request.agent(node.http);
      const start = await cancelled.get('/login/sso').expect(303);
      const state = new URL(start.headers.location).searchParams.get('state')!;
      const answerText = await cancelled
        .get(
          `/login/sso/callback?error=access_denied&error_description=${encodeURIComponent('<i>no</i>')}&state=${state}&iss=${encodeURIComponent(provider.issuer)}`,
        )
        .expect(403);
      expect(answerText.text).toContain('did not sign you in: &lt;i&gt;no&lt;/i&gt;');
    });

    it('waits while a node of a release before roles is live, and signs in once it is gone', async () => {
      await seedServer(node, {
        name: 'old-node',
        keys: node.keys,
        components: [{ type: 'web', heartbeatAgoMs: 0, processSeenAgoMs: 0, version: '1.5.0' }],
      });
      writeAccounts(accountsFile, { ...PEOPLE, erin: { preferred_username: 'erin', groups: ['staff'] } });
      try {
        const agent = request.agent(node.http);
        const refused = await agent.get(await answerFor(agent, 'erin')).expect(409);
        expect(refused.text).toContain('a node of release 1.5.0 is running');
        expect(await prisma().user.count({ where: { username: 'erin' } })).toBe(0);
      } finally {
        await prisma().server.delete({ where: { name: 'old-node' } });
      }
      const agent = request.agent(node.http);
      await agent.get(await answerFor(agent, 'erin')).expect(303);
    });

    it("refuses an ID token that the provider's published keys did not sign", async () => {
      const impostor = await startProvider({
        redirectUri: `${appUrl}/login/sso/callback`,
        accountsFile,
        wrongKeys: true,
      });
      const checking = await startTestApp(database, {
        env: ssoEnv(impostor.issuer, appUrl),
        version: THIS_RELEASE,
      });
      try {
        const agent = request.agent(checking.http);
        const start = await agent.get('/login/sso').expect(303);
        const callback = await throughProvider(
          start.headers.location,
          'dora',
          `${appUrl}/login/sso/callback`,
        );
        const refused = await agent.get(callback.slice(appUrl.length)).expect(400);
        expect(refused.text).toContain('did not pass the checks');
        expect(await prisma().user.count({ where: { username: 'dora' } })).toBe(0);
      } finally {
        await checking.close();
        await impostor.stop();
      }
    });

    it('answers 502 while the provider cannot be reached, and works as soon as it can', async () => {
      const port = await freePort();
      const later = await startTestApp(database, {
        env: ssoEnv(`http://localhost:${port}`, appUrl),
        version: THIS_RELEASE,
      });
      let started: TestProvider | undefined;
      try {
        const answer = await request(later.http).get('/login/sso').expect(502);
        expect(answer.text).toContain('could not be reached');
        started = await startProvider({ redirectUri: `${appUrl}/login/sso/callback`, accountsFile, port });
        const agent = request.agent(later.http);
        const start = await agent.get('/login/sso').expect(303);
        expect(start.headers.location.startsWith(`http://localhost:${port}/`)).toBe(true);
      } finally {
        await later.close();
        await started?.stop();
      }
    });

    it('signs in only through the provider when PASSWORD_SIGN_IN=off', async () => {
      const ssoOnly = await startTestApp(database, {
        env: ssoEnv(provider.issuer, appUrl, { PASSWORD_SIGN_IN: 'off' }),
        version: THIS_RELEASE,
      });
      try {
        const login = await request(ssoOnly.http).get('/login').expect(200);
        expect(login.text).toContain('Sign in with single sign-on');
        expect(login.text).not.toContain('name="password"');
        // Signed in through the provider, as before.
        const person = request.agent(ssoOnly.http);
        await person.get(await answerFor(person, 'ada')).expect(303);
        const account = await person.get('/account').expect(200);
        // A genuine form's POST (a token of this session) with a password: refused before any is looked at.
        const refused = await person
          .post('/login')
          .type('form')
          .send({ _csrf: csrfTokenIn(account.text), username: 'Admin', password: 'e2e-admin-password' })
          .expect(403);
        expect(refused.text).toContain('single sign-on only (PASSWORD_SIGN_IN&#x3D;off)');
      } finally {
        await ssoOnly.close();
      }
      // And the administrator's password still works on the node that allows it.
      await signedInAgent(node);
    });
  },
);
