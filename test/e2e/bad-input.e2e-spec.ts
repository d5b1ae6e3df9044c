import request from 'supertest';
import { PrismaService } from '../../src/modules/database/prisma.service';
import { HeartbeatScheduler } from '../../src/modules/node-loop/heartbeat-scheduler';
import {
  ADMIN_PASSWORD,
  API_KEY,
  csrfTokenIn,
  signedInAgent,
  startTestApp,
  TestApp,
} from '../support/test-app';
import { createTestDatabase, databaseKinds, TestDatabase } from '../support/test-database';

type Agent = Awaited<ReturnType<typeof signedInAgent>>;
interface Context {
  http: TestApp['http'];
  agent: Agent;
  anonymous: ReturnType<typeof request.agent>;
  csrf: string;
  anonymousCsrf: string;
  revision: string;
}
interface BadInput {
  name: string;
  send: (context: Context) => request.Test;
  status: number;
  says: string;
}

const UUID = '3b241101-e2bb-4255-8caf-4136c566a962';
const settingsForm = (context: Context, fields: Record<string, string>) =>
  context.agent
    .post('/administration/cluster/configure')
    .type('form')
    .send({
      _csrf: context.csrf,
      revision: context.revision,
      heartbeatFrequencySeconds: '30',
      staleTimeoutSeconds: '300',
      ...fields,
    });
const settingsApi = (context: Context, body: unknown) =>
  request(context.http)
    .put('/api/cluster/settings')
    .set('X-ApiKey', API_KEY)
    .send(body as object);
const goodComponent = {
  serverName: 'new-server',
  os: 'Linux',
  ipAddress: '10.9.0.1',
  type: 'web',
  version: '1.0.0',
};
const addForm = (context: Context, fields: Record<string, string>) =>
  context.agent
    .post('/administration/cluster/components/add')
    .type('form')
    .send({ _csrf: context.csrf, ...goodComponent, ...fields });
const addApi = (context: Context, body: unknown) =>
  request(context.http)
    .post('/api/cluster/components')
    .set('X-ApiKey', API_KEY)
    .send(body as object);
const login = (context: Context, fields: Record<string, string>) =>
  context.anonymous
    .post('/login')
    .type('form')
    .send({ _csrf: context.anonymousCsrf, ...fields });

const NEW_PASSWORD = 'a-long-enough-passphrase-7';
const passwordForm = (context: Context, fields: Record<string, string>) =>
  context.agent
    .post('/account/password')
    .type('form')
    .send({
      _csrf: context.csrf,
      currentPassword: ADMIN_PASSWORD,
      newPassword: NEW_PASSWORD,
      confirmPassword: NEW_PASSWORD,
      ...fields,
    });

/** A JSON body sent as written, so that it can hold what JSON.stringify would not produce. */
const rawJson = (context: Context, method: 'put' | 'post', path: string, json: string) =>
  (method === 'put' ? request(context.http).put(path) : request(context.http).post(path))
    .set('X-ApiKey', API_KEY)
    .set('Content-Type', 'application/json')
    .send(json);
const NESTED_2000 = `${'['.repeat(2000)}${']'.repeat(2000)}`;

/** How the add form names its fields in messages (the API names the JSON field). */
const FORM_LABELS = {
  serverName: 'The server name',
  os: 'The operating system',
  ipAddress: 'The IP address',
  version: 'The version',
};

/** Hostile text in every text field of every form and API body: control characters and names that deceive. */
const HOSTILE_TEXT: BadInput[] = [
  ...(['serverName', 'os', 'ipAddress', 'version'] as const).flatMap((field) => [
    {
      name: `add form: a NUL byte in ${field}`,
      send: (c: Context) => addForm(c, { [field]: `ab\u0000c` }),
      status: 400,
      says: FORM_LABELS[field],
    },
    {
      name: `add API: a NUL byte in ${field}`,
      send: (c: Context) => addApi(c, { ...goodComponent, [field]: `ab\u0000c` }),
      status: 400,
      says: field,
    },
  ]),
  {
    name: 'sign-in form: a NUL byte in the user name',
    send: (c) => login(c, { username: 'Ad\u0000min', password: 'whatever' }),
    status: 400,
    says: 'The user name must not contain control characters',
  },
  {
    name: 'sign-in form: a NUL byte in the password',
    send: (c) => login(c, { username: 'Admin', password: 'pass\u0000word' }),
    status: 400,
    says: 'The password must not contain control characters',
  },
  {
    name: 'sign-in form: a NUL byte in returnTo',
    send: (c) => login(c, { username: 'Admin', password: 'x', returnTo: '/administration\u0000' }),
    status: 400,
    says: 'returnTo must not contain control characters',
  },
  {
    name: 'settings form: a NUL byte in the heartbeat',
    send: (c) => settingsForm(c, { heartbeatFrequencySeconds: '1\u00000' }),
    status: 400,
    says: 'Enter a whole number of seconds.',
  },
  {
    name: 'add API: a server name of zero-width characters only',
    send: (c) => addApi(c, { ...goodComponent, serverName: '\u200b\u200c\u200d\ufeff' }),
    status: 400,
    says: 'serverName must contain a visible character',
  },
  {
    name: 'add form: a server name with a right-to-left override',
    send: (c) => addForm(c, { serverName: 'node-\u202egnp.exe' }),
    status: 400,
    says: 'The server name must not contain characters that reorder text',
  },
  {
    name: 'add API: a server name with a line separator (U+2028)',
    send: (c) => addApi(c, { ...goodComponent, serverName: 'node-1\u2028node-2' }),
    status: 400,
    says: 'serverName must not contain characters that reorder text or break lines',
  },
  {
    name: 'add API: an operating system with a lone surrogate',
    send: (c) =>
      rawJson(
        c,
        'post',
        '/api/cluster/components',
        JSON.stringify({ ...goodComponent }).replace('"Linux"', '"Linux \\ud800"'),
      ),
    status: 400,
    says: 'os must not contain an unpaired surrogate character',
  },
  {
    name: 'add API: version "banana"',
    send: (c) => addApi(c, { ...goodComponent, version: 'banana' }),
    status: 400,
    says: 'version must be a semantic version such as 1.2.0',
  },
  {
    name: 'add API: version "1.2" (not three numbers)',
    send: (c) => addApi(c, { ...goodComponent, version: '1.2' }),
    status: 400,
    says: 'version must be a semantic version',
  },
];

/** Bodies whose shape is the attack: deep nesting, and keys that mean something to JavaScript objects. */
const HOSTILE_SHAPES: BadInput[] = [
  {
    name: 'settings API: 2,000 levels of nested arrays',
    send: (c) => rawJson(c, 'put', '/api/cluster/settings', NESTED_2000),
    status: 400,
    says: 'The body is nested too deeply (more than 32 levels).',
  },
  {
    name: 'add API: 2,000 levels of nested objects in a field',
    send: (c) =>
      rawJson(
        c,
        'post',
        '/api/cluster/components',
        `{"serverName":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}`,
      ),
    status: 400,
    says: 'nested too deeply',
  },
  {
    name: 'settings API: 33 levels of nesting',
    send: (c) => rawJson(c, 'put', '/api/cluster/settings', `${'['.repeat(33)}${']'.repeat(33)}`),
    status: 400,
    says: 'nested too deeply',
  },
  {
    name: 'settings API: a __proto__ key',
    send: (c) =>
      rawJson(c, 'put', '/api/cluster/settings', '{"__proto__":{"loadBalancing":true},"loadBalancing":true}'),
    status: 400,
    says: '__proto__ is not an allowed field',
  },
  {
    name: 'add API: a constructor key',
    send: (c) =>
      rawJson(
        c,
        'post',
        '/api/cluster/components',
        JSON.stringify({ ...goodComponent, constructor: { name: 'x' } }),
      ),
    status: 400,
    says: 'constructor is not an allowed field',
  },
  {
    name: 'add API: a __proto__ key inside a field',
    send: (c) =>
      rawJson(
        c,
        'post',
        '/api/cluster/components',
        `{"serverName":{"__proto__":{"admin":true}},"os":"Linux"}`,
      ),
    status: 400,
    says: 'serverName.__proto__ is not an allowed field',
  },
];

const CASES: BadInput[] = [
  ...HOSTILE_TEXT,
  ...HOSTILE_SHAPES,
  // Sign-in form
  {
    name: 'login without a user name',
    send: (c) => login(c, { password: 'x' }),
    status: 400,
    says: 'Enter your user name.',
  },
  {
    name: 'login with a 65-character user name',
    send: (c) => login(c, { username: 'u'.repeat(65), password: 'x' }),
    status: 400,
    says: 'at most 64 characters',
  },
  {
    name: 'login with a wrong password',
    send: (c) => login(c, { username: 'Admin', password: 'nope' }),
    status: 401,
    says: 'Wrong user name or password.',
  },
  {
    name: 'login without a CSRF token',
    send: (c) => c.anonymous.post('/login').type('form').send({ username: 'Admin', password: 'x' }),
    status: 403,
    says: 'CSRF',
  },
  {
    name: 'login sent as JSON',
    send: (c) => c.anonymous.post('/login').send({ username: 'Admin', password: 'x' }),
    status: 415,
    says: 'application/x-www-form-urlencoded',
  },
  // Change password (the users table must stay as it was)
  ...(['currentPassword', 'newPassword', 'confirmPassword'] as const).map((field): BadInput => ({
    name: `password form: a NUL byte in ${field}`,
    send: (c) =>
      passwordForm(
        c,
        field === 'currentPassword'
          ? { currentPassword: 'ab\u0000cd' }
          : { newPassword: 'long-enough-\u0000-pass', confirmPassword: 'long-enough-\u0000-pass' },
      ),
    status: 400,
    says: 'must not contain control characters',
  })),
  {
    name: 'password form: a new password of 11 characters',
    send: (c) => passwordForm(c, { newPassword: 'eleven-char', confirmPassword: 'eleven-char' }),
    status: 400,
    says: 'The new password needs at least 12 characters.',
  },
  {
    name: 'password form: a common new password',
    send: (c) => passwordForm(c, { newPassword: 'qwerty123456', confirmPassword: 'qwerty123456' }),
    status: 400,
    says: 'one of the most common passwords',
  },
  {
    name: 'password form: two different new passwords',
    send: (c) => passwordForm(c, { confirmPassword: `${NEW_PASSWORD}x` }),
    status: 400,
    says: 'The two new passwords differ.',
  },
  {
    name: 'password form: a wrong current password',
    send: (c) => passwordForm(c, { currentPassword: 'not-my-password' }),
    status: 400,
    says: 'This is not your current password.',
  },
  {
    name: 'password form without a CSRF token',
    send: (c) => passwordForm(c, { _csrf: '' }),
    status: 403,
    says: 'CSRF',
  },
  // Settings form
  {
    name: 'settings form: heartbeat "abc"',
    send: (c) => settingsForm(c, { heartbeatFrequencySeconds: 'abc' }),
    status: 400,
    says: 'Enter a whole number of seconds.',
  },
  {
    name: 'settings form: heartbeat empty',
    send: (c) => settingsForm(c, { heartbeatFrequencySeconds: '' }),
    status: 400,
    says: 'Enter a whole number of seconds.',
  },
  {
    name: 'settings form: heartbeat negative',
    send: (c) => settingsForm(c, { heartbeatFrequencySeconds: '-5' }),
    status: 400,
    says: 'Enter a whole number of seconds.',
  },
  {
    name: 'settings form: heartbeat 0',
    send: (c) => settingsForm(c, { heartbeatFrequencySeconds: '0' }),
    status: 400,
    says: 'from 1 to 3600',
  },
  {
    name: 'settings form: heartbeat 3601',
    send: (c) => settingsForm(c, { heartbeatFrequencySeconds: '3601' }),
    status: 400,
    says: 'from 1 to 3600',
  },
  {
    name: 'settings form: stale timeout 2',
    send: (c) => settingsForm(c, { staleTimeoutSeconds: '2' }),
    status: 400,
    says: 'from 3 to 86400',
  },
  {
    name: 'settings form: stale timeout under three heartbeats',
    send: (c) => settingsForm(c, { heartbeatFrequencySeconds: '5', staleTimeoutSeconds: '10' }),
    status: 400,
    says: 'at least three heartbeats',
  },
  {
    name: 'settings form: no revision',
    send: (c) => settingsForm(c, { revision: '' }),
    status: 400,
    says: 'reload the page',
  },
  {
    name: 'settings form: checkbox with another value',
    send: (c) => settingsForm(c, { loadBalancing: 'yes' }),
    status: 400,
    says: 'Tick the box or leave it empty.',
  },
  {
    name: 'settings form: an outdated revision',
    send: (c) => settingsForm(c, { revision: '0' }),
    status: 409,
    says: 'changed by someone else meanwhile',
  },
  {
    name: 'settings form without a CSRF token',
    send: (c) =>
      c.agent
        .post('/administration/cluster/configure')
        .type('form')
        .send({ revision: c.revision, heartbeatFrequencySeconds: '5', staleTimeoutSeconds: '15' }),
    status: 403,
    says: 'CSRF',
  },
  // Settings API
  {
    name: 'settings API: heartbeat 0',
    send: (c) => settingsApi(c, { heartbeatFrequencySeconds: 0 }),
    status: 400,
    says: 'heartbeatFrequencySeconds',
  },
  {
    name: 'settings API: heartbeat as text',
    send: (c) => settingsApi(c, { heartbeatFrequencySeconds: '30' }),
    status: 400,
    says: 'heartbeatFrequencySeconds',
  },
  {
    name: 'settings API: heartbeat 2.5',
    send: (c) => settingsApi(c, { heartbeatFrequencySeconds: 2.5 }),
    status: 400,
    says: 'heartbeatFrequencySeconds',
  },
  {
    name: 'settings API: stale timeout 100000',
    send: (c) => settingsApi(c, { staleTimeoutSeconds: 100_000 }),
    status: 400,
    says: 'staleTimeoutSeconds',
  },
  {
    name: 'settings API: stale timeout under three heartbeats',
    send: (c) => settingsApi(c, { heartbeatFrequencySeconds: 60, staleTimeoutSeconds: 100 }),
    status: 400,
    says: 'staleTimeoutSeconds: must be at least three heartbeats',
  },
  {
    name: 'settings API: failover as "true"',
    send: (c) => settingsApi(c, { automaticFailover: 'true' }),
    status: 400,
    says: 'automaticFailover must be true or false',
  },
  {
    name: 'settings API: load balancing null',
    send: (c) => settingsApi(c, { loadBalancing: null }),
    status: 400,
    says: 'loadBalancing must be true or false',
  },
  {
    name: 'settings API: unknown field',
    send: (c) => settingsApi(c, { colour: 'blue' }),
    status: 400,
    says: 'property colour should not exist',
  },
  {
    name: 'settings API: revision -1',
    send: (c) => settingsApi(c, { revision: -1 }),
    status: 400,
    says: 'revision must be a whole number',
  },
  {
    name: 'settings API: an array',
    send: (c) => settingsApi(c, [1, 2]),
    status: 400,
    says: 'should not exist',
  },
  {
    name: 'settings API: malformed JSON',
    send: (c) =>
      request(c.http)
        .put('/api/cluster/settings')
        .set('X-ApiKey', API_KEY)
        .set('Content-Type', 'application/json')
        .send('{"loadBalancing": tru'),
    status: 400,
    says: 'not valid JSON',
  },
  {
    name: 'settings API: plain text',
    send: (c) =>
      request(c.http)
        .put('/api/cluster/settings')
        .set('X-ApiKey', API_KEY)
        .set('Content-Type', 'text/plain')
        .send('loadBalancing=true'),
    status: 415,
    says: 'application/json',
  },
  {
    name: 'settings API: a 100 KB body',
    send: (c) => settingsApi(c, { note: 'x'.repeat(100_000) }),
    status: 413,
    says: 'too large',
  },
  {
    name: 'settings API: an outdated revision',
    send: (c) => settingsApi(c, { revision: 999, loadBalancing: true }),
    status: 409,
    says: 'changed by someone else meanwhile',
  },
  {
    name: 'settings API: a wrong API key',
    send: (c) =>
      request(c.http)
        .put('/api/cluster/settings')
        .set('X-ApiKey', 'wrong-wrong-wrong')
        .send({ loadBalancing: true }),
    status: 401,
    says: 'X-ApiKey',
  },
  {
    name: 'settings API without any credentials',
    send: (c) => request(c.http).put('/api/cluster/settings').send({ loadBalancing: true }),
    status: 401,
    says: 'Sign in',
  },
  {
    name: 'settings API with a session but no CSRF header',
    send: (c) => c.agent.put('/api/cluster/settings').send({ loadBalancing: true }),
    status: 403,
    says: 'CSRF',
  },
  // Add-component form
  {
    name: 'add form: empty server name',
    send: (c) => addForm(c, { serverName: '' }),
    status: 400,
    says: 'The server name must not be empty',
  },
  {
    name: 'add form: server name of blanks',
    send: (c) => addForm(c, { serverName: '   ' }),
    status: 400,
    says: 'The server name must not be empty',
  },
  {
    name: 'add form: 101-character server name',
    send: (c) => addForm(c, { serverName: 's'.repeat(101) }),
    status: 400,
    says: 'at most 100 characters',
  },
  {
    name: 'add form: control character in the name',
    send: (c) => addForm(c, { serverName: 'bell\u0007' }),
    status: 400,
    says: 'control characters',
  },
  {
    name: 'add form: empty operating system',
    send: (c) => addForm(c, { os: '' }),
    status: 400,
    says: 'The operating system must not be empty',
  },
  {
    name: 'add form: 201-character operating system',
    send: (c) => addForm(c, { os: 'o'.repeat(201) }),
    status: 400,
    says: 'at most 200 characters',
  },
  {
    name: 'add form: IP address "not-an-ip"',
    send: (c) => addForm(c, { ipAddress: 'not-an-ip' }),
    status: 400,
    says: 'IPv4 or IPv6',
  },
  {
    name: 'add form: IP address 999.1.1.1',
    send: (c) => addForm(c, { ipAddress: '999.1.1.1' }),
    status: 400,
    says: 'IPv4 or IPv6',
  },
  {
    name: 'add form: empty IP address',
    send: (c) => addForm(c, { ipAddress: '' }),
    status: 400,
    says: 'The IP address must not be empty',
  },
  {
    name: 'add form: type "database"',
    send: (c) => addForm(c, { type: 'database' }),
    status: 400,
    says: 'The component type must be web or service',
  },
  {
    name: 'add form: no type',
    send: (c) =>
      c.agent
        .post('/administration/cluster/components/add')
        .type('form')
        .send({ _csrf: c.csrf, serverName: 'x', os: 'Linux', ipAddress: '10.0.0.1', version: '1' }),
    status: 400,
    says: 'The component type must be web or service',
  },
  {
    name: 'add form: version with a space',
    send: (c) => addForm(c, { version: '1 0' }),
    status: 400,
    says: 'The version must be a semantic version such as 1.2.0',
  },
  {
    name: 'add form: 51-character version',
    send: (c) => addForm(c, { version: '1'.repeat(51) }),
    status: 400,
    says: 'at most 50 characters',
  },
  {
    name: 'add form: a duplicate component',
    send: (c) => addForm(c, { serverName: 'existing', os: 'Linux', ipAddress: '10.5.5.5', type: 'web' }),
    status: 409,
    says: 'already has a web component',
  },
  {
    name: 'add form: an existing server with another address',
    send: (c) => addForm(c, { serverName: 'existing', os: 'Linux', ipAddress: '10.5.5.6', type: 'service' }),
    status: 409,
    says: 'exists with IP address',
  },
  {
    name: 'add form without a CSRF token',
    send: (c) => c.agent.post('/administration/cluster/components/add').type('form').send(goodComponent),
    status: 403,
    says: 'CSRF',
  },
  // Add-component API
  {
    name: 'add API: server name as a number',
    send: (c) => addApi(c, { ...goodComponent, serverName: 42 }),
    status: 400,
    says: 'serverName must be text',
  },
  {
    name: 'add API: an empty object',
    send: (c) => addApi(c, {}),
    status: 400,
    says: 'serverName must not be empty',
  },
  {
    name: 'add API: type "cron"',
    send: (c) => addApi(c, { ...goodComponent, type: 'cron' }),
    status: 400,
    says: 'type must be web or service',
  },
  {
    name: 'add API: IP address 1.2.3',
    send: (c) => addApi(c, { ...goodComponent, ipAddress: '1.2.3' }),
    status: 400,
    says: 'IPv4 or IPv6',
  },
  {
    name: 'add API: unknown field',
    send: (c) => addApi(c, { ...goodComponent, colour: 'red' }),
    status: 400,
    says: 'property colour should not exist',
  },
  {
    name: 'add API: markup as a version',
    send: (c) => addApi(c, { ...goodComponent, version: '<script>alert(1)</script>' }),
    status: 400,
    says: 'version must be a semantic version such as 1.2.0',
  },
  {
    name: 'add API: a duplicate component',
    send: (c) => addApi(c, { ...goodComponent, serverName: 'existing', ipAddress: '10.5.5.5' }),
    status: 409,
    says: 'type: server existing already has a web component',
  },
  {
    name: 'add API: a form-encoded body',
    send: (c) =>
      request(c.http)
        .post('/api/cluster/components')
        .set('X-ApiKey', API_KEY)
        .type('form')
        .send(goodComponent),
    status: 415,
    says: 'application/json',
  },
  {
    name: 'add API: an array',
    send: (c) => addApi(c, [goodComponent]),
    status: 400,
    says: 'should not exist',
  },
  // Removal
  {
    name: 'removal page for an unknown id',
    send: (c) => c.agent.get(`/administration/cluster/components/${UUID}/remove`),
    status: 404,
    says: 'There is no component',
  },
  {
    name: 'removal page for a malformed id',
    send: (c) => c.agent.get('/administration/cluster/components/not-a-uuid/remove'),
    status: 404,
    says: 'There is no such component in the cluster.',
  },
  {
    name: 'removal of an unknown id',
    send: (c) =>
      c.agent
        .post(`/administration/cluster/components/${UUID}/remove`)
        .type('form')
        .send({ _csrf: c.csrf, confirm: 'yes' }),
    status: 404,
    says: 'There is no component',
  },
  {
    name: 'API removal of an unknown id',
    send: (c) => request(c.http).delete(`/api/cluster/components/${UUID}`).set('X-ApiKey', API_KEY),
    status: 404,
    says: 'There is no component',
  },
  {
    name: 'API removal of a malformed id',
    send: (c) => request(c.http).delete("/api/cluster/components/1' OR '1'='1").set('X-ApiKey', API_KEY),
    status: 404,
    says: 'There is no such component in the cluster.',
  },
  // Events and unknown addresses
  {
    name: 'events API: limit 0',
    send: (c) => request(c.http).get('/api/cluster/events?limit=0').set('X-ApiKey', API_KEY),
    status: 400,
    says: 'limit must be a whole number from 1 to 500',
  },
  {
    name: 'events API: limit "abc"',
    send: (c) => request(c.http).get('/api/cluster/events?limit=abc').set('X-ApiKey', API_KEY),
    status: 400,
    says: 'limit must be a whole number',
  },
  {
    name: 'events page: page -1',
    send: (c) => c.agent.get('/administration/cluster/events?page=-1'),
    status: 400,
    says: 'page must be a whole number',
  },
  {
    name: 'an unknown API route',
    send: (c) => request(c.http).get('/api/cluster/nope').set('X-ApiKey', API_KEY),
    status: 404,
    says: 'There is no API route GET /api/cluster/nope.',
  },
  {
    name: 'an unknown page',
    send: (c) => c.agent.get('/administration/nope'),
    status: 404,
    says: 'There is no page at /administration/nope.',
  },
];

describe.each(databaseKinds())('bad input on %s', (kind) => {
  let database: TestDatabase;
  let node: TestApp;
  const context = {} as Context;

  /** Every row of every table, to prove that a refused request left the database as it was. */
  const snapshot = async () => {
    const prisma = node.app.get(PrismaService).client;
    const rows = await Promise.all([
      prisma.server.findMany({ orderBy: { id: 'asc' } }),
      prisma.component.findMany({ orderBy: { id: 'asc' } }),
      prisma.clusterSettings.findMany(),
      prisma.user.findMany({ orderBy: { id: 'asc' } }),
      prisma.lease.findMany(),
      prisma.event.findMany({ orderBy: { id: 'asc' } }),
    ]);
    return JSON.stringify(rows, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
  };

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    node = await startTestApp(database, { env: { CLUSTER_COMPONENTS: 'web' } });
    // Web only, and the heartbeat schedule stopped: every process reports its presence each period, and
    // the snapshots below must see only what the requests did.
    await node.app.get(HeartbeatScheduler).onModuleDestroy();
    context.http = node.http;
    context.agent = await signedInAgent(node);
    await addApi(context, { ...goodComponent, serverName: 'existing', ipAddress: '10.5.5.5' }).expect(201);
    const form = await context.agent.get('/administration/cluster/configure').expect(200);
    context.csrf = csrfTokenIn(form.text);
    context.revision = /name="revision" value="(\d+)"/.exec(form.text)![1];
    context.anonymous = request.agent(node.http);
    context.anonymousCsrf = csrfTokenIn((await context.anonymous.get('/login').expect(200)).text);
  });

  afterAll(async () => {
    await node?.close();
    await database?.drop();
  });

  it(`has at least 50 cases`, () => expect(CASES.length).toBeGreaterThanOrEqual(50));

  it.each(CASES.map((badInput) => [badInput.name, badInput] as const))(
    '%s: 4xx with a message, nothing saved',
    async (_name, badInput) => {
      const before = await snapshot();
      const response = await badInput.send(context);
      expect([response.status, response.text.includes(badInput.says) || response.text]).toEqual([
        badInput.status,
        true,
      ]);
      expect(await snapshot()).toBe(before);
    },
  );
});
