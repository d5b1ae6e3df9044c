import { compileErrors, validate } from '@readme/openapi-parser';
import request from 'supertest';
import { API_KEY, startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

describe('GET /api/docs', () => {
  let database: TestDatabase;
  let node: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    node = await startTestApp(database);
  });

  afterAll(async () => {
    await node?.close();
    await database?.drop();
  });

  const docs = async () =>
    (await request(node.http).get('/api/docs').set('X-ApiKey', API_KEY).expect(200)).body;

  it('is a valid OpenAPI 3 document, by a maintained parser', async () => {
    const document = await docs();
    expect(document.openapi).toMatch(/^3\./);
    const result = await validate(structuredClone(document));
    expect(result.valid ? '' : compileErrors(result)).toBe('');
    expect(document.components.securitySchemes.apiKey).toEqual({
      type: 'apiKey',
      in: 'header',
      name: 'X-ApiKey',
    });
  });

  it('describes every route the app serves under /api, with its answers and error statuses', async () => {
    const document = await docs();
    const layers = (node.app.getHttpAdapter().getInstance() as { router: { stack: RouteLayer[] } }).router
      .stack;
    const served = layers
      .filter((layer) => layer.route?.path.startsWith('/api/'))
      .flatMap((layer) =>
        Object.keys(layer.route!.methods).map(
          (method) => `${method.toUpperCase()} ${layer.route!.path.replace(/:(\w+)/g, '{$1}')}`,
        ),
      )
      .sort();
    const described = Object.entries(document.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
      )
      .sort();
    expect(served.length).toBeGreaterThanOrEqual(7);
    expect(described).toEqual(served);
    for (const [, operations] of Object.entries(
      document.paths as Record<string, Record<string, { responses: object; security: object[] }>>,
    )) {
      for (const [method, operation] of Object.entries(operations)) {
        expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['400', '401', '503']));
        // A viewer reads everything; what changes something may be refused to a lesser role.
        expect('403' in operation.responses).toBe(method !== 'get');
        expect(operation.security).toEqual([{ apiKey: [] }]);
      }
    }
    expect(document.paths['/api/cluster/components'].post.requestBody).toBeDefined();
    expect(Object.keys(document.paths['/api/cluster/components/{id}'].delete.responses)).toEqual(
      expect.arrayContaining(['204', '404']),
    );
  });

  it('is, like the rest of the API, refused without a session or a key', async () => {
    await request(node.http).get('/api/docs').expect(401);
  });
});
