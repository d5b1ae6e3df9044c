import { randomUUID } from 'node:crypto';
import { Prisma } from '../../src/generated/sqlite/client';
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { AppConfig, loadAppConfig } from '../../src/modules/environment/app-config';
import { runMigrations } from '../../src/modules/database/migrator';
import { PrismaService } from '../../src/modules/database/prisma.service';
import { createTestDatabase, databaseKinds, TestDatabase } from '../support/test-database';

const TABLES: [string, object][] = [
  ['servers', Prisma.ServerScalarFieldEnum],
  ['components', Prisma.ComponentScalarFieldEnum],
  ['cluster_settings', Prisma.ClusterSettingsScalarFieldEnum],
  ['users', Prisma.UserScalarFieldEnum],
  ['leases', Prisma.LeaseScalarFieldEnum],
  ['events', Prisma.EventScalarFieldEnum],
  ['sessions', Prisma.SessionScalarFieldEnum],
  ['login_failures', Prisma.LoginFailureScalarFieldEnum],
  ['webhooks', Prisma.WebhookScalarFieldEnum],
  ['webhook_deliveries', Prisma.WebhookDeliveryScalarFieldEnum],
  ['database_outages', Prisma.DatabaseOutageScalarFieldEnum],
  ['api_keys', Prisma.ApiKeyScalarFieldEnum],
];

describe.each(databaseKinds())('the migrated %s database', (kind) => {
  let database: TestDatabase;
  let prisma: PrismaService;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const config = loadAppConfig(
      { DATABASE_URL: database.url },
      { hostname: 'h', firstExternalIpv4: undefined, version: '1.0.0', cwd: process.cwd() },
    );
    // Three nodes starting at once run the migrations exactly once between them. SQLite's lock blocks the
    // thread that waits for it, so there the three run one after another here; the cluster tests start
    // three real processes on one file at once.
    const applied =
      kind === 'postgresql'
        ? await Promise.all([1, 2, 3].map(() => runMigrations(config.database, { version: '1.0.0' })))
        : [
            await runMigrations(config.database, { version: '1.0.0' }),
            await runMigrations(config.database, { version: '1.0.0' }),
            await runMigrations(config.database, { version: '1.0.0' }),
          ];
    expect(applied.flat().sort()).toEqual([
      '0001_init.sql',
      '0002_failover.sql',
      '0003_transitions.sql',
      '0004_sessions.sql',
      '0005_drain.sql',
      '0006_webhooks.sql',
      '0007_failover_identities.sql',
      '0008_rolling_upgrades.sql',
      '0009_heartbeat_index.sql',
      '0010_user_roles.sql',
      '0011_api_keys.sql',
      '0012_sso_subjects.sql',
    ]);
    prisma = new PrismaService(config);
    await prisma.onModuleInit();
  });

  afterAll(async () => {
    await prisma?.onApplicationShutdown();
    await database?.drop();
  });

  it('has exactly the columns the Prisma schema describes', async () => {
    for (const [table, fields] of TABLES) {
      const columns =
        kind === 'sqlite'
          ? await prisma.client.$queryRawUnsafe<{ name: string }[]>(
              `SELECT name FROM pragma_table_info('${table}')`,
            )
          : await prisma.client.$queryRawUnsafe<{ name: string }[]>(
              `SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '${table}'`,
            );
      expect([table, columns.length]).toEqual([table, Object.keys(fields).length]);
    }
  });

  it('reads and writes every field of every model through the client', async () => {
    const client = prisma.client;
    const createdAt = new Date('2026-01-02T03:04:05.678Z');
    const server = await client.server.create({
      data: { id: randomUUID(), name: 'schema-check', os: 'Linux', ipAddress: '10.9.9.9', createdAt },
    });
    expect(await client.server.findUniqueOrThrow({ where: { name: 'schema-check' } })).toEqual(server);
    expect(server.createdAt.toISOString()).toBe(createdAt.toISOString());

    const component = await client.component.create({
      data: {
        id: randomUUID(),
        serverId: server.id,
        type: 'service',
        version: '2.0.0',
        encryptionToken: 'e',
        machineToken: 'm',
        addedManually: true,
        registeredAtMs: 1_795_000_000_000n,
        lastHeartbeatAtMs: 1_795_000_000_123n,
        observedHeartbeat: 'ok',
        observedKeys: 'decryption-failure',
        observedDuplicate: true,
        instanceId: 'instance-1',
        instanceAddress: '10.9.9.9:8624',
        instanceHost: 'host-1',
        instancePid: 4242,
        instanceSeenAtMs: 1_795_000_000_124n,
        duplicateAddress: '10.9.9.10:8624',
        duplicateSeenAtMs: 1_795_000_000_125n,
        clockSkewMs: -600_000n,
        eligible: false,
        settingsRevision: 7,
        drainedAtMs: 1_795_000_000_126n,
        drainedBy: 'admin',
      },
    });
    expect(await client.component.findUniqueOrThrow({ where: { id: component.id } })).toEqual(component);
    await client.component.update({
      where: { id: component.id },
      data: { lastHeartbeatAtMs: null, addedManually: false },
    });
    expect(await client.component.findUniqueOrThrow({ where: { id: component.id } })).toMatchObject({
      lastHeartbeatAtMs: null,
      addedManually: false,
    });

    const settings = await client.clusterSettings.findUniqueOrThrow({ where: { id: 1 } });
    expect(settings).toMatchObject({
      loadBalancing: false,
      automaticFailover: true,
      heartbeatFrequencySeconds: 10,
      staleTimeoutSeconds: 60,
      revision: 1,
      changedAtMs: null,
      previousStaleTimeoutSeconds: null,
      encryptionCheck: null,
    });
    const changed = await client.clusterSettings.update({
      where: { id: 1 },
      data: {
        loadBalancing: true,
        automaticFailover: false,
        heartbeatFrequencySeconds: 5,
        staleTimeoutSeconds: 15,
        revision: 2,
        updatedAt: createdAt,
        changedAtMs: 1_795_000_000_000n,
        previousStaleTimeoutSeconds: 300,
        encryptionCheck: 'token',
      },
    });
    expect(await client.clusterSettings.findUniqueOrThrow({ where: { id: 1 } })).toEqual(changed);

    const user = await client.user.create({
      data: { id: randomUUID(), username: 'someone', passwordHash: 'scrypt$x', createdAt },
    });
    expect(await client.user.findUniqueOrThrow({ where: { username: 'someone' } })).toEqual(user);
    const session = await client.session.create({
      data: {
        tokenHash: 'h'.repeat(64),
        userId: user.id,
        createdAtMs: 1_795_000_000_000n,
        lastSeenAtMs: 1_795_000_000_001n,
        expiresAtMs: 1_795_000_000_002n,
      },
    });
    expect(await client.session.findUniqueOrThrow({ where: { tokenHash: 'h'.repeat(64) } })).toEqual(session);
    const failure = await client.loginFailure.create({
      data: { subject: 'user:someone', failures: 3, windowStartedAtMs: 1_795_000_000_000n },
    });
    expect(await client.loginFailure.findUniqueOrThrow({ where: { subject: 'user:someone' } })).toEqual(
      failure,
    );
    const webhook = await client.webhook.create({
      data: {
        id: randomUUID(),
        name: 'ops',
        urlSealed: 'sealed-url',
        secretSealed: 'sealed-secret',
        kinds: ',primary-changed,',
        createdAtMs: 1_795_000_000_000n,
        createdBy: 'admin',
      },
    });
    expect(await client.webhook.findUniqueOrThrow({ where: { id: webhook.id } })).toEqual(webhook);
    const delivery = await client.webhookDelivery.create({
      data: {
        id: `${webhook.id}:1`,
        webhookId: webhook.id,
        eventId: 1_000_000_001n,
        kind: 'primary-changed',
        status: 'delivered',
        attempts: 2,
        createdAtMs: 1_795_000_000_000n,
        nextAttemptAtMs: null,
        lastAttemptAtMs: 1_795_000_000_500n,
        lastStatusCode: 204,
        lastError: null,
        deliveredAtMs: 1_795_000_000_501n,
        epoch: 3n,
      },
    });
    expect(await client.webhookDelivery.findUniqueOrThrow({ where: { id: delivery.id } })).toEqual(delivery);
    // Removing an endpoint removes its deliveries.
    await client.webhook.delete({ where: { id: webhook.id } });
    expect(await client.webhookDelivery.count()).toBe(0);
    // Removing a user ends its sessions.
    await client.user.delete({ where: { id: user.id } });
    expect(await client.session.count()).toBe(0);

    const lease = await client.lease.findUniqueOrThrow({ where: { role: 'service' } });
    expect(lease).toEqual({
      role: 'service',
      holder: null,
      epoch: 0n,
      expiresAtMs: 0n,
      acquiredAtMs: 0n,
      previousHolder: null,
      previousEpoch: null,
      drainedHolder: null,
    });
    const taken = await client.lease.update({
      where: { role: 'service' },
      data: {
        holder: component.id,
        epoch: 3n,
        expiresAtMs: 1_795_000_003_000n,
        acquiredAtMs: 1_795_000_000_000n,
        previousHolder: 'x',
        previousEpoch: 2n,
        drainedHolder: component.id,
      },
    });
    expect(await client.lease.findUniqueOrThrow({ where: { role: 'service' } })).toEqual(taken);

    const first = await client.event.create({
      data: {
        occurredAtMs: 1_795_000_000_000n,
        kind: 'primary-changed',
        serverName: 's',
        componentId: 'c',
        componentType: 'service',
        actor: null,
        epoch: 3n,
        message: 'm',
      },
    });
    const second = await client.event.create({
      data: { occurredAtMs: 1_795_000_000_001n, kind: 'settings-changed', actor: 'Admin', message: 'n' },
    });
    expect(second.id).toBeGreaterThan(first.id);
    expect(await client.event.findUniqueOrThrow({ where: { id: first.id } })).toEqual(first);
    expect(second).toMatchObject({ serverName: null, componentId: null, componentType: null, epoch: null });

    // Removing a server removes its components (the foreign key cascades on both kinds).
    await client.server.delete({ where: { id: server.id } });
    expect(await client.component.count({ where: { serverId: server.id } })).toBe(0);
  });

  it('bounds every transaction on PostgreSQL to two seconds of lock wait and of idleness, set inside it', async () => {
    if (kind !== 'postgresql') return expect(prisma.kind).toBe('sqlite');
    const read = `SELECT current_setting('idle_in_transaction_session_timeout') AS idle, current_setting('lock_timeout') AS lock`;
    const inside = await prisma.client.$transaction((tx) =>
      tx.$queryRawUnsafe<{ idle: string; lock: string }[]>(read),
    );
    expect(inside).toEqual([{ idle: '2s', lock: '2s' }]);
    const batched = await prisma.client.$transaction([
      prisma.client.$queryRawUnsafe<{ idle: string; lock: string }[]>(read),
      prisma.client.$queryRawUnsafe<{ idle: string; lock: string }[]>(read),
    ]);
    expect(batched).toEqual([inside, inside]);
    // Nothing is set for the session (a pooler would refuse it in the startup packet, or lend the session on).
    const outside = await prisma.client.$queryRawUnsafe<{ idle: string; lock: string }[]>(read);
    expect(outside).toEqual([{ idle: '0', lock: '0' }]);
  });

  it('ends a transaction left idle on PostgreSQL after two seconds, freeing what it locked', async () => {
    if (kind !== 'postgresql') return expect(prisma.kind).toBe('sqlite');
    const stuck = prisma.client.$transaction(
      async (tx) => {
        await tx.$executeRawUnsafe(`UPDATE leases SET holder = holder WHERE role = 'service'`);
        // A node paused here (SIGSTOP, a long GC) holds the lease row: the server ends its session.
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        await tx.$queryRawUnsafe('SELECT 1');
      },
      { timeout: 10_000 },
    );
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await prisma.client.$executeRawUnsafe(`UPDATE leases SET holder = holder WHERE role = 'service'`);
    expect(Date.now() - started).toBeLessThan(2_900);
    await expect(stuck).rejects.toThrow();
  });

  it('applies nothing the second time', async () => {
    const config = loadAppConfig(
      { DATABASE_URL: database.url },
      { hostname: 'h', firstExternalIpv4: undefined, version: '1.0.0', cwd: process.cwd() },
    );
    expect(await runMigrations(config.database, { version: '1.0.0' })).toEqual([]);
  });

  it('keeps the saved settings of an existing cluster when it upgrades to the new defaults', async () => {
    const existing = await createTestDatabase(kind);
    const config = loadAppConfig(
      { DATABASE_URL: existing.url },
      { hostname: 'h', firstExternalIpv4: undefined, version: '1.0.0', cwd: process.cwd() },
    );
    try {
      await applyAsOfRelease(
        config.database,
        ['0001_init.sql', '0002_failover.sql'],
        [`INSERT INTO servers (id, name, os, ip_address) VALUES ('s1', 'old-node', 'Linux', '10.0.0.1')`],
      );
      expect(await runMigrations(config.database, { version: '1.0.0' })).toEqual([
        '0003_transitions.sql',
        '0004_sessions.sql',
        '0005_drain.sql',
        '0006_webhooks.sql',
        '0007_failover_identities.sql',
        '0008_rolling_upgrades.sql',
        '0009_heartbeat_index.sql',
        '0010_user_roles.sql',
        '0011_api_keys.sql',
        '0012_sso_subjects.sql',
      ]);
      const upgraded = new PrismaService(config);
      await upgraded.onModuleInit();
      try {
        expect(await upgraded.client.clusterSettings.findUniqueOrThrow({ where: { id: 1 } })).toMatchObject({
          heartbeatFrequencySeconds: 30,
          staleTimeoutSeconds: 300,
          revision: 1,
        });
      } finally {
        await upgraded.onApplicationShutdown();
      }
    } finally {
      await existing.drop();
    }
  });
});

/** A database as an earlier release left it: the given migrations applied and recorded, and some rows. */
async function applyAsOfRelease(
  database: AppConfig['database'],
  files: string[],
  rows: string[],
): Promise<void> {
  const folder = join(__dirname, '..', '..', 'prisma', 'migrations', database.kind);
  const statements = [
    'CREATE TABLE schema_migrations (name TEXT NOT NULL PRIMARY KEY, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)',
    ...files.map((file) => readFileSync(join(folder, file), 'utf8')),
    ...files.map((file) => `INSERT INTO schema_migrations (name) VALUES ('${file}')`),
    ...rows,
  ];
  if (database.kind === 'sqlite') {
    const db = new Database(database.sqliteFile!);
    for (const sql of statements) db.exec(sql);
    db.close();
    return;
  }
  const client = new Client({ connectionString: database.url });
  await client.connect();
  for (const sql of statements) await client.query(sql);
  await client.end();
}
