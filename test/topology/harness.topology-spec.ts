import { createServer, Server } from 'node:http';
import { Client } from 'pg';
import { eventually } from '../support/node-process';
import { HaProxy, describeTopology, PgBouncer, PostgresServer, stopAll } from '../support/topology';

/** That the harness runs the real pieces and that they behave as the topology tests will assume. */
describeTopology('the topology harness', () => {
  jest.setTimeout(60_000);
  let primary: PostgresServer;
  let replica: PostgresServer;
  let streamedWithinMs = 0;

  const serverPort = async (url: string): Promise<number> => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<{ port: number }>('SELECT inet_server_port() AS port')).rows[0].port;
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    primary = await PostgresServer.primary();
    replica = await primary.replica();
    await primary.query('CREATE TABLE probe (id int PRIMARY KEY)');
  });

  afterAll(() => stopAll());

  it('streams a row written on the primary to the replica', async () => {
    await primary.query('INSERT INTO probe VALUES (1)');
    // The table itself may not have reached the replica yet (undefined_table): that is "not yet" too.
    const notYet = (error: { code?: string }) => {
      if (error.code === '42P01') return [];
      throw error;
    };
    streamedWithinMs = await eventually(
      async () => (await replica.query('SELECT id FROM probe').catch(notYet)).length === 1,
      10_000,
      20,
    );
    expect(await replica.query('SELECT pg_is_in_recovery() AS recovery')).toEqual([{ recovery: true }]);
  });

  it('no longer streams to the replica after cutReplication', async () => {
    await replica.cutReplication();
    await primary.query('INSERT INTO probe VALUES (2)');
    // An absence can only be shown by waiting: many times what streaming took above.
    await new Promise((resolve) => setTimeout(resolve, Math.max(1_000, 10 * streamedWithinMs)));
    expect(await replica.query('SELECT id FROM probe ORDER BY id')).toEqual([{ id: 1 }]);
    expect(await primary.query('SELECT id FROM probe ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('promotes the replica to a writable primary on a higher timeline of the same system', async () => {
    const before = await replica.timeline();
    await replica.promote();
    await replica.query('INSERT INTO probe VALUES (3)');
    expect(await replica.timeline()).toBeGreaterThan(before);
    expect(await replica.systemIdentifier()).toBe(await primary.systemIdentifier());
  });

  it('passes queries through PgBouncer in transaction mode, and refuses a lock_timeout startup parameter', async () => {
    const bouncer = await PgBouncer.start({
      targetHost: '127.0.0.1',
      targetPort: primary.port,
      mode: 'transaction',
    });
    const plain = new Client({ connectionString: bouncer.url() });
    await plain.connect();
    expect((await plain.query('SELECT $1::int AS n', [7])).rows).toEqual([{ n: 7 }]);
    await plain.end();

    // PgBouncer 1.18 answers the startup packet with ErrorResponse code 08P01 (protocol_violation),
    // message "unsupported startup parameter: lock_timeout", and closes the connection.
    const withLockTimeout = new Client({ connectionString: bouncer.url(), lock_timeout: 2_000 });
    await expect(withLockTimeout.connect()).rejects.toMatchObject({
      message: 'unsupported startup parameter: lock_timeout',
      code: '08P01',
    });
    expect(bouncer.iniText).not.toContain('ignore_startup_parameters');
  });

  it('proxies TCP to the active server, and new connections to the backup while it is in maintenance', async () => {
    const proxy = await HaProxy.tcp({
      servers: [
        { name: 'primary', host: '127.0.0.1', port: primary.port },
        { name: 'standby', host: '127.0.0.1', port: replica.port, backup: true },
      ],
    });
    expect(await serverPort(proxy.databaseUrl())).toBe(primary.port);

    await proxy.setServerState('primary', 'maint');
    expect((await proxy.serverStates()).primary.status).toBe('MAINT');
    expect(await serverPort(proxy.databaseUrl())).toBe(replica.port);
    expect((await proxy.serverStates()).standby).toMatchObject({
      status: 'UP',
      backup: true,
      totalSessions: 1,
    });
  });

  it('balances HTTP round-robin and takes a server whose /health fails out of rotation', async () => {
    const healthy = new Map([
      ['a', true],
      ['b', true],
    ]);
    const nodes = [...healthy.keys()].map((name) =>
      createServer((request, response) => {
        response.statusCode = request.url === '/health' && !healthy.get(name) ? 503 : 200;
        response.end(name);
      }),
    );
    const ports = await Promise.all(
      nodes.map(
        (node) =>
          new Promise<number>((resolve) =>
            node.listen(0, '127.0.0.1', () => resolve((node.address() as { port: number }).port)),
          ),
      ),
    );
    const proxy = await HaProxy.http({
      servers: ports.map((port, i) => ({ name: [...healthy.keys()][i], host: '127.0.0.1', port })),
      checkIntervalMs: 200,
    });
    try {
      const answer = async () => (await fetch(proxy.url)).text();
      expect(new Set([await answer(), await answer()])).toEqual(new Set(['a', 'b']));

      healthy.set('b', false);
      await eventually(async () => (await proxy.serverStates()).b.status === 'DOWN', 5_000, 50);
      expect([await answer(), await answer(), await answer()]).toEqual(['a', 'a', 'a']);
    } finally {
      await proxy.stop();
      await Promise.all(nodes.map((node: Server) => new Promise((resolve) => node.close(resolve))));
    }
  });
});
