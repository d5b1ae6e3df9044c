import request from 'supertest';
import { admin } from '../support/admin-command';
import { PrismaService } from '../../src/modules/database/prisma.service';
import { seedServer } from '../support/seed';
import {
  API_KEY,
  csrfTokenIn,
  signedInAgent,
  startTestApp,
  TestApp,
  THIS_RELEASE,
} from '../support/test-app';
import { createTestDatabase, databaseKinds, TestDatabase } from '../support/test-database';

type Agent = Awaited<ReturnType<typeof signedInAgent>>;

// Each command is a process of its own (about a second): the tests that run several need more than 5 s.
jest.setTimeout(60_000);

/** The generated password: alone on the last line of add-user's output. */
function addUser(databaseUrl: string, username: string, role: string): string {
  const run = admin(databaseUrl, 'add-user', username, '--role', role);
  expect([run.code, run.err]).toEqual([0, '']);
  const lines = run.out.trimEnd().split('\n');
  expect(lines[lines.length - 1]).toMatch(/^\S{16,}$/);
  return lines[lines.length - 1];
}

/** The forms a page offers that would change something (sign-out is everyone's). */
function changingForms(html: string): string[] {
  return [...html.matchAll(/<form[^>]*method="post"[^>]*action="([^"]+)"/g)]
    .map((match) => match[1])
    .filter((action) => action !== '/logout');
}

describe.each(databaseKinds())('users and roles on %s', (kind) => {
  let database: TestDatabase;
  let node: TestApp;
  let administrator: Agent;
  let viewer: Agent;
  let operator: Agent;
  let nodeBService: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    node = await startTestApp(database, { env: { CLUSTER_SERVER_NAME: 'node-a' }, version: THIS_RELEASE });
    await seedServer(node, {
      name: 'node-b',
      keys: node.keys,
      components: [{ type: 'service', heartbeatAgoMs: 0, version: THIS_RELEASE }],
    });
    nodeBService = (await prisma().component.findFirstOrThrow({ where: { server: { name: 'node-b' } } })).id;
    administrator = await signedInAgent(node);
    viewer = await signedInAgent(node, addUser(database.url, 'vera', 'viewer'), 'vera');
    operator = await signedInAgent(node, addUser(database.url, 'otto', 'operator'), 'otto');
  });

  afterAll(async () => {
    await node?.close();
    await database?.drop();
  });

  const prisma = () => node.app.get(PrismaService).client;
  const role = async (username: string) =>
    (await prisma().user.findUnique({ where: { username } }))?.role ?? null;
  const idOf = async (username: string) =>
    (await prisma().user.findUniqueOrThrow({ where: { username } })).id;
  const csrf = async (agent: Agent) => csrfTokenIn((await agent.get('/account').expect(200)).text);
  const settings = () => prisma().clusterSettings.findUniqueOrThrow({ where: { id: 1 } });

  it('has no single sign-on unless it is configured: the sign-in page offers none, its routes are 404', async () => {
    const login = await request(node.http).get('/login').expect(200);
    expect(login.text).not.toContain('/login/sso');
    expect(login.text).toContain('name="password"');
    expect((await request(node.http).get('/login/sso').expect(404)).text).toContain(
      'Single sign-on is not set up.',
    );
    await request(node.http).get('/login/sso/callback?code=x&state=y').expect(404);
  });

  it('makes users from the command line with the role asked for, and refuses what it cannot do', async () => {
    expect(await role('vera')).toBe('viewer');
    expect(await role('otto')).toBe('operator');
    expect(await prisma().event.findMany({ where: { kind: 'user-added' } })).toEqual([
      expect.objectContaining({
        actor: 'npm run admin',
        message: expect.stringContaining('"vera" as viewer'),
      }),
      expect.objectContaining({
        actor: 'npm run admin',
        message: expect.stringContaining('"otto" as operator'),
      }),
    ]);
    const users = await prisma().user.count();
    expect(admin(database.url, 'add-user', 'x', '--role', 'superuser')).toMatchObject({
      code: 2,
      err: expect.stringContaining('role must be one of viewer, operator, administrator'),
    });
    expect(admin(database.url, 'add-user', 'x')).toMatchObject({
      code: 2,
      err: expect.stringContaining('--role'),
    });
    expect(admin(database.url, 'add-user', 'vera', '--role', 'viewer')).toMatchObject({
      code: 1,
      err: 'There is a user "vera" already.\n',
    });
    expect(admin(database.url, 'add-user', 'bad\u0007name', '--role', 'viewer')).toMatchObject({
      code: 2,
      err: expect.stringContaining('username must not contain control characters'),
    });
    expect(admin(database.url, 'set-role', 'nobody', 'viewer')).toMatchObject({
      code: 1,
      err: 'There is no user "nobody".\n',
    });
    expect(admin(database.url, 'set-role', 'vera', 'root')).toMatchObject({
      code: 2,
      err: expect.stringContaining('"root" is not a role'),
    });
    expect(admin(database.url, 'remove-user', 'nobody')).toMatchObject({ code: 1 });
    expect(admin(database.url, 'set-role', 'Admin', 'viewer')).toMatchObject({
      code: 1,
      err: expect.stringContaining('"Admin" is the last administrator'),
    });
    expect(admin(database.url, 'remove-user', 'Admin')).toMatchObject({ code: 1 });
    expect(await prisma().user.count()).toBe(users);
    expect(await role('Admin')).toBe('administrator');
  });

  it('shows a viewer every page with no form that changes anything, and refuses every change with 403', async () => {
    for (const path of ['/administration', '/administration/cluster', '/administration/cluster/events']) {
      const page = await viewer.get(path).expect(200);
      expect(changingForms(page.text)).toEqual([]);
      expect(page.text).not.toContain('/administration/cluster/configure');
      expect(page.text).not.toContain('/administration/cluster/components/add');
      expect(page.text).not.toContain('/drain');
      expect(page.text).not.toContain('/administration/users');
    }
    const notifications = await viewer.get('/administration/cluster/notifications').expect(200);
    expect(changingForms(notifications.text)).toEqual([]);
    // The account page is the viewer's own: its forms are theirs to use.
    expect(changingForms((await viewer.get('/account').expect(200)).text)).toEqual([
      '/account/password',
      '/account/sign-out-everywhere',
      '/account/api-keys',
    ]);
    const refused = await viewer.get('/administration/cluster/configure').expect(403);
    expect(refused.text).toContain('vera is a viewer: this needs an administrator.');
    await viewer.get(`/administration/cluster/components/${nodeBService}/drain`).expect(403);
    await viewer.get('/administration/users').expect(403);
    const token = await csrf(viewer);
    const before = await settings();
    await viewer
      .post('/administration/cluster/configure')
      .type('form')
      .send({
        _csrf: token,
        heartbeatFrequencySeconds: '5',
        staleTimeoutSeconds: '30',
        revision: before.revision,
      })
      .expect(403);
    await viewer
      .post(`/administration/cluster/components/${nodeBService}/drain`)
      .type('form')
      .send({ _csrf: token, confirm: 'yes' })
      .expect(403);
    await viewer
      .post('/administration/users')
      .type('form')
      .send({ _csrf: token, username: 'mallory', role: 'administrator' })
      .expect(403);
    expect(await settings()).toEqual(before);
    expect(
      (await prisma().component.findUniqueOrThrow({ where: { id: nodeBService } })).drainedAtMs,
    ).toBeNull();
    expect(await role('mallory')).toBeNull();
    // The API answers a viewer's GET; its key-less writes are refused the same way.
    await viewer.get('/api/cluster').expect(200);
    await viewer.get('/api/cluster/settings').expect(200);
  });

  it('lets an operator drain and resume from the page, names them in the events, and refuses the settings', async () => {
    const overview = await operator.get('/administration/cluster').expect(200);
    expect(overview.text).toContain(`/administration/cluster/components/${nodeBService}/drain`);
    expect(overview.text).not.toContain('/administration/cluster/configure');
    const confirm = await operator
      .get(`/administration/cluster/components/${nodeBService}/drain`)
      .expect(200);
    await operator
      .post(`/administration/cluster/components/${nodeBService}/drain`)
      .type('form')
      .send({ _csrf: csrfTokenIn(confirm.text), confirm: 'yes' })
      .expect(303);
    const drained = await prisma().component.findUniqueOrThrow({ where: { id: nodeBService } });
    expect(drained.drainedBy).toBe('otto');
    await operator
      .post(`/administration/cluster/components/${nodeBService}/resume`)
      .type('form')
      .send({ _csrf: await csrf(operator) })
      .expect(303);
    const events = await prisma().event.findMany({
      where: { kind: { in: ['component-drained', 'component-resumed'] } },
      orderBy: { id: 'asc' },
    });
    expect(events.map((event) => [event.kind, event.actor])).toEqual([
      ['component-drained', 'otto'],
      ['component-resumed', 'otto'],
    ]);
    const listed = await operator.get('/administration/cluster/events').expect(200);
    expect(listed.text).toContain('otto');
    const { body } = await request(node.http).get('/api/cluster/events').set('X-ApiKey', API_KEY).expect(200);
    expect(body.find((event: { kind: string }) => event.kind === 'component-drained').actor).toBe('otto');
    await operator.get('/administration/cluster/configure').expect(403);
    await operator.get('/administration/users').expect(403);
  });

  it('gives the Users page to administrators: add with a password shown once, change a role, remove', async () => {
    const page = await administrator.get('/administration/users').expect(200);
    for (const name of ['Admin', 'otto', 'vera']) expect(page.text).toContain(`data-user="${name}"`);
    expect(page.text).toContain('the last administrator');
    const added = await administrator
      .post('/administration/users')
      .type('form')
      .send({ _csrf: csrfTokenIn(page.text), username: '  <b>Bold</b>  ', role: 'operator' })
      .expect(201);
    expect(added.headers['cache-control']).toBe('no-store');
    expect(added.text).toContain('&lt;b&gt;Bold&lt;/b&gt;');
    expect(added.text).not.toContain('<b>Bold</b>');
    const password = /data-field="password">([^<]+)</.exec(added.text)![1];
    expect(await role('<b>Bold</b>')).toBe('operator');
    const bold = await signedInAgent(node, password, '<b>Bold</b>');
    await bold.get('/administration/cluster').expect(200);

    const token = csrfTokenIn(added.text);
    await administrator
      .post(`/administration/users/${await idOf('<b>Bold</b>')}/role`)
      .type('form')
      .send({ _csrf: token, role: 'viewer' })
      .expect(303);
    // The new role holds from the user's very next request.
    await bold.get(`/administration/cluster/components/${nodeBService}/drain`).expect(403);
    await administrator
      .post(`/administration/users/${await idOf('<b>Bold</b>')}/remove`)
      .type('form')
      .send({ _csrf: token })
      .expect(303);
    // Removed: the session ended at once.
    const after = await bold.get('/administration/cluster');
    expect(after.status).toBe(303);
    expect(after.headers.location).toContain('/login');
    expect(await prisma().session.count({ where: { user: { username: '<b>Bold</b>' } } })).toBe(0);
    const kinds = await prisma().event.findMany({
      where: { kind: { in: ['user-added', 'user-role-changed', 'user-removed'] }, actor: 'Admin' },
      orderBy: { id: 'asc' },
    });
    expect(kinds.map((event) => event.kind)).toEqual(['user-added', 'user-role-changed', 'user-removed']);
  });

  it('refuses hostile or impossible changes with a message and a 4xx, saving nothing', async () => {
    const token = await csrf(administrator);
    const users = await prisma().user.count();
    const userEvents = () =>
      prisma().event.count({ where: { kind: { in: ['user-added', 'user-role-changed', 'user-removed'] } } });
    const events = await userEvents();
    const add = (body: object) =>
      administrator
        .post('/administration/users')
        .type('form')
        .send({ _csrf: token, ...body });
    expect((await add({ username: '', role: 'viewer' }).expect(400)).text).toContain(
      'username must not be empty',
    );
    expect((await add({ username: 'a\u202eb', role: 'viewer' }).expect(400)).text).toContain('reorder text');
    expect((await add({ username: 'x'.repeat(65), role: 'viewer' }).expect(400)).text).toContain(
      'at most 64',
    );
    expect((await add({ username: 'eve', role: 'root' }).expect(400)).text).toContain('role must be one of');
    expect((await add({ username: ['a', 'b'], role: 'viewer' }).expect(400)).text).toContain(
      'username must be text',
    );
    expect((await add({ username: 'vera', role: 'viewer' }).expect(409)).text).toContain('There is a user');
    const adminId = await idOf('Admin');
    const demote = await administrator
      .post(`/administration/users/${adminId}/role`)
      .type('form')
      .send({ _csrf: token, role: 'operator' })
      .expect(409);
    expect(demote.text).toContain('last administrator');
    await administrator
      .post(`/administration/users/${adminId}/remove`)
      .type('form')
      .send({ _csrf: token })
      .expect(409);
    await administrator
      .post(`/administration/users/${await idOf('vera')}/role`)
      .type('form')
      .send({ _csrf: token, role: 'owner' })
      .expect(400);
    await administrator
      .post('/administration/users/not-an-id/remove')
      .type('form')
      .send({ _csrf: token })
      .expect(404);
    await administrator
      .post('/administration/users/00000000-0000-4000-8000-000000000000/role')
      .type('form')
      .send({ _csrf: token, role: 'viewer' })
      .expect(404);
    await administrator
      .post('/administration/users')
      .type('form')
      .send({ username: 'nocsrf', role: 'viewer' })
      .expect(403);
    expect(await prisma().user.count()).toBe(users);
    expect(await userEvents()).toBe(events);
    expect(await role('Admin')).toBe('administrator');
    expect(await role('vera')).toBe('viewer');
  });

  it('changes no user while a node of a release without roles is live', async () => {
    await seedServer(node, {
      name: 'old-node',
      keys: node.keys,
      components: [{ type: 'web', heartbeatAgoMs: 0, processSeenAgoMs: 0, version: '1.5.0' }],
    });
    try {
      const refused = await administrator
        .post('/administration/users')
        .type('form')
        .send({ _csrf: await csrf(administrator), username: 'newcomer', role: 'viewer' })
        .expect(409);
      expect(refused.text).toContain('a node of release 1.5.0 is running');
      expect(admin(database.url, 'set-role', 'vera', 'operator')).toMatchObject({
        code: 1,
        err: expect.stringContaining('release 1.5.0'),
      });
      expect(await role('newcomer')).toBeNull();
      expect(await role('vera')).toBe('viewer');
    } finally {
      await prisma().server.delete({ where: { name: 'old-node' } });
    }
    expect(admin(database.url, 'set-role', 'vera', 'operator')).toMatchObject({ code: 0 });
    expect(admin(database.url, 'set-role', 'vera', 'viewer')).toMatchObject({ code: 0 });
  });

  it('gives each person API keys of their own: shown once, hashed, never above the owner, gone with them', async () => {
    const makeKey = async (agent: Agent, name: string, keyRole: string, status: number) =>
      agent
        .post('/account/api-keys')
        .type('form')
        .send({ _csrf: await csrf(agent), name, role: keyRole })
        .expect(status);
    const made = await makeKey(operator, 'deploy <script>', 'operator', 201);
    expect(made.headers['cache-control']).toBe('no-store');
    expect(made.text).toContain('deploy &lt;script&gt;');
    const key = /data-field="key">([^<]+)</.exec(made.text)![1];
    const stored = await prisma().apiKey.findFirstOrThrow({ where: { name: 'deploy <script>' } });
    expect(JSON.stringify(stored, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(
      key,
    );
    expect((await operator.get('/account').expect(200)).text).not.toContain(key);

    const api = (path: string) =>
      request(node.http).post(`/api/cluster/components/${nodeBService}/${path}`).set('X-ApiKey', key);
    await request(node.http).get('/api/cluster').set('X-ApiKey', key).expect(200);
    expect(
      (await prisma().apiKey.findUniqueOrThrow({ where: { id: stored.id } })).lastUsedAtMs,
    ).not.toBeNull();
    await api('drain').send({}).expect(200);
    await api('resume').expect(200);
    const drained = await prisma().event.findFirstOrThrow({
      where: { kind: 'component-drained' },
      orderBy: { id: 'desc' },
    });
    expect(drained.actor).toBe('otto (API key "deploy <script>")');
    // Settings need an administrator: the operator's key is refused and nothing changes.
    const before = await settings();
    const put = await request(node.http)
      .put('/api/cluster/settings')
      .set('X-ApiKey', key)
      .send({ heartbeatFrequencySeconds: 5 })
      .expect(403);
    expect(put.body.message).toContain('carries the operator role');
    expect(await settings()).toEqual(before);

    // Demoted: the key acts with the owner's lower role at once.
    expect(admin(database.url, 'set-role', 'otto', 'viewer')).toMatchObject({ code: 0 });
    await api('drain').send({}).expect(403);
    await request(node.http).get('/api/cluster').set('X-ApiKey', key).expect(200);
    expect(admin(database.url, 'set-role', 'otto', 'operator')).toMatchObject({ code: 0 });

    // A viewer makes viewer keys only; names are checked like every name.
    expect((await makeKey(viewer, 'mine', 'operator', 400)).text).toContain('at most your own role (viewer)');
    expect((await makeKey(viewer, '', 'viewer', 400)).text).toContain('name must not be empty');
    expect((await makeKey(viewer, 'a\u0000b', 'viewer', 400)).text).toContain('control characters');
    expect((await makeKey(operator, 'deploy <script>', 'viewer', 409)).text).toContain('already');
    expect(await prisma().apiKey.count()).toBe(1);

    // Another person's key cannot be revoked; one's own can, and every node refuses it at once.
    await viewer
      .post(`/account/api-keys/${stored.id}/revoke`)
      .type('form')
      .send({ _csrf: await csrf(viewer) })
      .expect(404);
    await viewer
      .post('/account/api-keys/not-a-key/revoke')
      .type('form')
      .send({ _csrf: await csrf(viewer) })
      .expect(404);
    await operator
      .post(`/account/api-keys/${stored.id}/revoke`)
      .type('form')
      .send({ _csrf: await csrf(operator) })
      .expect(303);
    const revoked = await request(node.http).get('/api/cluster').set('X-ApiKey', key).expect(401);
    expect(revoked.body.message).toContain("neither this node's API_KEY nor a person's live API key");
    // Making and revoking a key are events of the person, nothing of the key in them.
    const keyEvents = await prisma().event.findMany({
      where: { kind: { in: ['api-key-created', 'api-key-revoked'] } },
      orderBy: { id: 'asc' },
      select: { kind: true, actor: true, message: true },
    });
    expect(keyEvents).toEqual([
      {
        kind: 'api-key-created',
        actor: 'otto',
        message: 'otto made the API key "deploy <script>" (operator).',
      },
      {
        kind: 'api-key-revoked',
        actor: 'otto',
        message: 'otto revoked the API key "deploy <script>": no node accepts it any more.',
      },
    ]);
    expect(JSON.stringify(keyEvents)).not.toContain(key);

    // Removing a person removes their keys.
    const second = /data-field="key">([^<]+)</.exec(
      (await makeKey(viewer, 'reader', 'viewer', 201)).text,
    )![1];
    await request(node.http).get('/api/cluster').set('X-ApiKey', second).expect(200);
    expect(admin(database.url, 'remove-user', 'vera')).toMatchObject({ code: 0 });
    await request(node.http).get('/api/cluster').set('X-ApiKey', second).expect(401);
    expect(await prisma().apiKey.count()).toBe(0);
    // The environment's key is still an administrator's.
    await request(node.http).get('/api/cluster/settings').set('X-ApiKey', API_KEY).expect(200);
  });
});
