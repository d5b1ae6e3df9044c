import { randomBytes } from 'node:crypto';
import type { ClusterReport } from '../../src/modules/overview/cluster-report';
import type { ComponentChecks } from '../../src/modules/cluster/component-rules';
import { signedInPage } from '../support/cluster-api';
import { openDatabase, useFastHeartbeats } from '../support/cluster-database';
import { ClusterNode, eventually } from '../support/node-process';
import { createTestDatabase, databaseKinds, TestDatabase } from '../support/test-database';

const API_KEY = 'cluster-test-api-key-0123';
const ADMIN_PASSWORD = 'cluster-test-password';
const HEARTBEAT_S = 1;
const STALE_S = 3;

function checksByComponent(report: ClusterReport): Record<string, ComponentChecks> {
  const out: Record<string, ComponentChecks> = {};
  for (const server of report.servers) {
    for (const component of server.components) out[`${server.name}/${component.type}`] = component.checks;
  }
  return out;
}

describe.each(databaseKinds())('three real nodes on one %s database', (kind) => {
  jest.setTimeout(90_000);
  let database: TestDatabase;
  const nodes: ClusterNode[] = [];
  const shared = {
    encryptionKey: randomBytes(32).toString('hex'),
    machineKey: randomBytes(32).toString('hex'),
  };
  const odd = { encryptionKey: randomBytes(32).toString('hex'), machineKey: randomBytes(16).toString('hex') };

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const prisma = await openDatabase(database.url);
    await useFastHeartbeats(prisma, HEARTBEAT_S, STALE_S);
    await prisma.onApplicationShutdown();
    const env = { API_KEY, ADMIN_PASSWORD };
    // The two alike start at the same moment, on a database none of them has seen registered; the first
    // primary's key becomes the cluster's. Then the odd one joins.
    nodes.push(
      ...(await Promise.all([
        ClusterNode.start({ name: 'node-a', databaseUrl: database.url, ...shared, env }),
        ClusterNode.start({ name: 'node-b', databaseUrl: database.url, ...shared, env }),
      ])),
    );
    nodes.push(await ClusterNode.start({ name: 'node-odd', databaseUrl: database.url, ...odd, env }));
  });

  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
    await database?.drop();
  });

  it('shows three servers, and the odd node as decryption failures from a node with the shared keys', async () => {
    const report = await nodes[0].getJson<ClusterReport>('/api/cluster', API_KEY);
    expect(report.servers.map((server) => server.name)).toEqual(['node-a', 'node-b', 'node-odd']);
    expect(report.configuration.serverCount).toBe(3);
    const checks = checksByComponent(report);
    for (const name of ['node-a', 'node-b']) {
      expect(checks[`${name}/web`]).toEqual({
        heartbeat: 'ok',
        version: 'ok',
        encryptionKey: 'ok',
        machineKey: 'ok',
      });
      expect(checks[`${name}/service`]).toEqual({
        heartbeat: 'ok',
        version: 'ok',
        encryptionKey: 'ok',
        machineKey: null,
      });
    }
    expect(checks['node-odd/web']).toMatchObject({
      encryptionKey: 'decryption-failure',
      machineKey: 'decryption-failure',
    });
    expect(checks['node-odd/service']).toMatchObject({
      encryptionKey: 'decryption-failure',
      machineKey: null,
    });
    expect(report.servers.find((server) => server.name === 'node-odd')!.status).toBe('error');
  });

  it('shows everyone else as decryption failures from the odd node, and says the odd node is the likely culprit', async () => {
    const report = await nodes[2].getJson<ClusterReport>('/api/cluster', API_KEY);
    const checks = checksByComponent(report);
    expect(checks['node-odd/web']).toMatchObject({ encryptionKey: 'ok', machineKey: 'ok' });
    for (const name of ['node-a', 'node-b']) {
      expect(checks[`${name}/web`]).toMatchObject({
        encryptionKey: 'decryption-failure',
        machineKey: 'decryption-failure',
      });
      expect(checks[`${name}/service`]).toMatchObject({ encryptionKey: 'decryption-failure' });
    }
    const page = await pageText(nodes[2], '/administration/cluster');
    expect(page).toContain('The node serving this page (node-odd) is probably the one with different keys');
  });

  it('shows the same on the page, signed in through the login form', async () => {
    const page = await pageText(nodes[0], '/administration/cluster');
    for (const name of ['node-a', 'node-b', 'node-odd']) expect(page).toContain(`data-server="${name}"`);
    expect(page).toContain('Decryption failure');
    expect(page).toMatch(/data-field="server-count">3</);
  });

  it("turns a stopped node's service component stale after the stale timeout, and leaves its web component live", async () => {
    const stopped = nodes[1];
    await stopped.stop('SIGKILL');
    const tookMs = await eventually(
      async () => {
        const checks = checksByComponent(await nodes[0].getJson<ClusterReport>('/api/cluster', API_KEY));
        return checks['node-b/service'].heartbeat === 'stale';
      },
      (STALE_S + HEARTBEAT_S) * 1000 + 10_000,
    );
    // Not before the timeout has passed since its last heartbeat (at most one heartbeat period before the kill).
    expect(tookMs).toBeGreaterThanOrEqual((STALE_S - HEARTBEAT_S) * 1000 - 500);
    const report = await nodes[0].getJson<ClusterReport>('/api/cluster', API_KEY);
    expect(checksByComponent(report)['node-b/web'].heartbeat).toBe('ok');
    expect(checksByComponent(report)['node-a/service'].heartbeat).toBe('ok');
    expect(report.servers.find((server) => server.name === 'node-b')!.status).toBe('warning');
  });
});

/** Signs in through the real login form of a node process and fetches a page. */
async function pageText(node: ClusterNode, path: string): Promise<string> {
  const page = await signedInPage(node, path, ADMIN_PASSWORD);
  expect(page.status).toBe(200);
  return page.text;
}
