import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { loadAppConfig } from '../../src/modules/environment/app-config';
import { MIGRATIONS_ROOT } from '../../src/modules/database/migration-files';
import { runMigrations } from '../../src/modules/database/migrator';
import { PrismaService } from '../../src/modules/database/prisma.service';
import { SchemaTooNewError } from '../../src/modules/database/schema-too-new.error';
import { seedServer } from '../support/seed';
import { API_KEY, signedInAgent, startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, databaseKinds, TestDatabase } from '../support/test-database';

describe.each(databaseKinds())('a rolling upgrade on %s', (kind) => {
  let database: TestDatabase;
  let node: TestApp;
  const api = () => request(node.http);
  const cluster = async () => (await api().get('/api/cluster').set('X-ApiKey', API_KEY).expect(200)).body;
  const setWindow = (minutes: number) =>
    api()
      .put('/api/cluster/settings')
      .set('X-ApiKey', API_KEY)
      .send({ upgradeWindowMinutes: minutes })
      .expect(200);

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    // This node runs 1.0.0 (the tests' version); two servers still run 0.9.0, one of them stopped.
    node = await startTestApp(database, { env: { CLUSTER_SERVER_NAME: 'node-new' } });
    await seedServer(node, {
      name: 'node-old',
      keys: node.keys,
      components: [{ type: 'service', heartbeatAgoMs: 500, processSeenAgoMs: 500, version: '0.9.0' }],
    });
    await seedServer(node, {
      name: 'node-gone',
      keys: node.keys,
      components: [
        { type: 'service', heartbeatAgoMs: 3_600_000, processSeenAgoMs: 3_600_000, version: '0.8.0' },
      ],
    });
  });

  afterAll(async () => {
    await node?.close();
    await database?.drop();
  });

  it('says "Upgrade in progress" with the servers on each release, instead of marking the older ones', async () => {
    const body = await cluster();
    expect(body.upgrade).toMatchObject({
      inProgress: true,
      newestVersion: '1.0.0',
      windowMinutes: 60,
      overdue: false,
      versions: [
        { version: '1.0.0', servers: 1 },
        { version: '0.9.0', servers: 1 },
      ],
    });
    expect(Date.parse(body.upgrade.since)).toBeGreaterThan(Date.now() - 60_000);
    const old = body.servers.find((server: { name: string }) => server.name === 'node-old');
    expect(old.status).toBe('ok');
    expect(old.components[0]).toMatchObject({ version: '0.9.0', checks: { version: 'upgrading' } });
    const page = await (await signedInAgent(node)).get('/administration/cluster').expect(200);
    expect(page.text).toContain('Upgrade in progress');
    expect(page.text).toContain('1 server runs 1.0.0 (newest), 1 server runs 0.9.0.');
    expect(page.text).toContain('0.9.0, upgrading to 1.0.0');
    expect(page.text).not.toContain('0.9.0, behind 1.0.0');
  });

  it('warns about the older release again once the window the administrator set has passed', async () => {
    await setWindow(0);
    const body = await cluster();
    expect(body.upgrade).toMatchObject({ overdue: true, windowMinutes: 0 });
    const old = body.servers.find((server: { name: string }) => server.name === 'node-old');
    expect(old.status).toBe('warning');
    expect(old.components[0].checks.version).toBe('out-of-sync');
    const page = await (await signedInAgent(node)).get('/administration/cluster').expect(200);
    expect(page.text).toContain('Upgrade unfinished');
    expect(page.text).toContain('0.9.0, behind 1.0.0');
    // Back within the window, by the sighting's age rather than the setting.
    await setWindow(60);
    await node.app.get(PrismaService).client.releaseSighting.update({
      where: { version: '1.0.0' },
      data: { firstSeenAtMs: { decrement: 61n * 60_000n } },
    });
    expect((await cluster()).upgrade.overdue).toBe(true);
  });

  it('refuses an upgrade window that is not a whole number of minutes from 0 to 10080, saving nothing', async () => {
    const before = (await api().get('/api/cluster/settings').set('X-ApiKey', API_KEY)).body;
    for (const value of [-1, 10_081, 1.5, '60', null]) {
      const { body } = await api()
        .put('/api/cluster/settings')
        .set('X-ApiKey', API_KEY)
        .send({ upgradeWindowMinutes: value })
        .expect(400);
      expect(body.message).toMatch(/upgradeWindowMinutes|upgrade window/i);
    }
    expect((await api().get('/api/cluster/settings').set('X-ApiKey', API_KEY)).body).toEqual(before);
  });

  it('is over when every live server runs one release', async () => {
    await node.app
      .get(PrismaService)
      .client.component.updateMany({ where: { version: '0.9.0' }, data: { version: '1.0.0' } });
    expect((await cluster()).upgrade).toBeNull();
    const page = await (await signedInAgent(node)).get('/administration/cluster').expect(200);
    expect(page.text).not.toContain('Upgrade in progress');
  });
});

describe.each(databaseKinds())('the schema phases on %s', (kind) => {
  let database: TestDatabase;
  let folder: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    folder = mkdtempSync(join(tmpdir(), 'migrations-'));
    cpSync(join(MIGRATIONS_ROOT, kind), folder, { recursive: true });
  });

  afterAll(async () => {
    rmSync(folder, { recursive: true, force: true });
    await database?.drop();
  });

  const config = () =>
    loadAppConfig(
      { DATABASE_URL: database.url },
      { hostname: 'h', firstExternalIpv4: undefined, version: '1.0.0', cwd: process.cwd() },
    ).database;

  it('records each migration with its release and phase, and leaves contract steps to the primary', async () => {
    writeFileSync(
      join(folder, '0100_expand_later.sql'),
      '-- release: 9.0.0\n-- phase: expand\nCREATE TABLE later_table (id TEXT PRIMARY KEY);\n',
    );
    writeFileSync(
      join(folder, '0101_contract_later.sql'),
      '-- release: 9.0.0\n-- phase: contract\nDROP TABLE later_table;\n',
    );
    const applied = await runMigrations(config(), { version: '9.0.0', folder });
    expect(applied).toContain('0100_expand_later.sql');
    expect(applied).not.toContain('0101_contract_later.sql');
    // A node of the real release meets an expanded schema it does not know: it serves normally.
    expect(await runMigrations(config(), { version: '1.6.0' })).toEqual([]);
  });

  it('refuses a node whose code does not know a contract step that has run, naming both releases', async () => {
    const node = await startTestApp(database, { env: { CLUSTER_SERVER_NAME: 'ledger-reader' } });
    try {
      const ledger = await node.app
        .get(PrismaService)
        .client.$queryRawUnsafe<{ name: string; release: string; phase: string }[]>(
          'SELECT name, release, phase FROM schema_migrations ORDER BY name',
        );
      expect(ledger.find((row) => row.name === '0001_init.sql')).toEqual({
        name: '0001_init.sql',
        release: '1.0.0',
        phase: 'expand',
      });
      expect(ledger.find((row) => row.name === '0100_expand_later.sql')?.release).toBe('9.0.0');
      await node.app
        .get(PrismaService)
        .client.$executeRawUnsafe(
          "INSERT INTO schema_migrations (name, release, phase) VALUES ('0101_contract_later.sql', '9.0.0', 'contract')",
        );
    } finally {
      await node.close();
    }
    const refusal = runMigrations(config(), { version: '1.6.0' });
    await expect(refusal).rejects.toBeInstanceOf(SchemaTooNewError);
    await expect(refusal).rejects.toThrow(
      "The database's schema is newer than this node: release 9.0.0 has run its contract step 0101_contract_later.sql, which 1.6.0 does not support. Start this node with release 9.0.0 or newer",
    );
    // The code that knows the step goes on serving.
    expect(await runMigrations(config(), { version: '9.0.0', folder })).toEqual([]);
  });
});
