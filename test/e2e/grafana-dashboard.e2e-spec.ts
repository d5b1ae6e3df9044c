import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { API_KEY, startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';

const DASHBOARD = join(__dirname, '..', '..', 'docs', 'grafana', 'cluster-overview.json');
/** PromQL words that are not metric names. */
const PROMQL = new Set([
  'max',
  'sum',
  'by',
  'rate',
  'increase',
  'histogram_quantile',
  'le',
  'type',
  'status',
  'instance',
  'route',
]);

describe('the Grafana dashboard in docs/grafana', () => {
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

  it('queries only metrics that a node exports', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    // A request first, so that the request histogram has series to show.
    await request(node.http).get('/api/cluster').set('X-ApiKey', API_KEY).expect(200);
    const exported = new Set(
      (await request(node.http).get('/metrics').expect(200)).text
        .split('\n')
        .filter((line) => line && !line.startsWith('#'))
        .map((line) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)![0]),
    );
    const queried = dashboard.panels.flatMap((panel) =>
      panel.targets.flatMap((target) =>
        [...target.expr.replace(/\{[^}]*\}|\[[^\]]*\]|"[^"]*"/g, '').matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)]
          .map((match) => match[0])
          .filter((word) => !PROMQL.has(word)),
      ),
    );
    expect(queried.length).toBeGreaterThan(8);
    expect(queried.filter((name) => !exported.has(name))).toEqual([]);
    expect(dashboard.panels.length).toBeGreaterThanOrEqual(8);
  });
});
