import request from 'supertest';
import { admin } from '../support/admin-command';
import { ADMIN_PASSWORD, csrfTokenIn, startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, databaseKinds, TestDatabase } from '../support/test-database';

describe.each(databaseKinds())('npm run admin on %s', (kind) => {
  let database: TestDatabase;
  let node: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    node = await startTestApp(database);
  });

  afterAll(async () => {
    await node?.close();
    await database?.drop();
  });

  const signIn = async (password: string) => {
    const agent = request.agent(node.http);
    const csrf = csrfTokenIn((await agent.get('/login').expect(200)).text);
    return (await agent.post('/login').type('form').send({ _csrf: csrf, username: 'Admin', password }))
      .status;
  };

  it('gives a locked-out administrator a new password, printed once; the old one stops working', async () => {
    const run = admin(database.url, 'reset-password', 'Admin');
    expect([run.code, run.err]).toEqual([0, '']);
    const password = /New password for "Admin": (\S+)/.exec(run.out)![1];
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect(await signIn(password)).toBe(303);
    expect(await signIn(ADMIN_PASSWORD)).toBe(401);
  });

  it('says so, and changes nothing, for a user that does not exist or a call it does not know', async () => {
    expect(admin(database.url, 'reset-password', 'nobody')).toMatchObject({
      code: 1,
      err: 'There is no user "nobody" who signs in with a password (a single sign-on user has none here).\n',
    });
    expect(admin(database.url, 'delete-everything')).toMatchObject({
      code: 2,
      err: expect.stringContaining('usage:'),
    });
    expect(admin('mysql://nowhere/db', 'reset-password', 'Admin')).toMatchObject({
      code: 78,
      err: expect.stringMatching(/^Configuration error: DATABASE_URL: /),
    });
  });
});
