#!/usr/bin/env node
// npm run simulate -- --servers N [--heartbeat S] [--stale T] [--seconds D] [--database-url URL]
//                     [--wrong-keys K] [--paused P] [--stopping X] [--real-nodes R] [--pool C]
//
// N simulated servers in this one process. Each is the node's own main loop (NodeLoopModule: the heartbeat,
// the primary lease, the key verification, the primary's health check and contract steps), built by Nest
// from the real modules with its own configuration, process identity and keys; only the database
// connection pool and the metrics registry are shared, and the database-path probe is left out (it opens
// two connections of its own per server and minute). Some hold another cluster's encryption key (never
// eligible, shown as failing verification), some are frozen for 2 × T part-way (as SIGSTOP would: their
// loop does nothing until they thaw), some stop part-way (as SIGTERM: hand the lease over, sign off).
// Beside them, optionally, real nodes (dist/main.js) on the same database.
//
// It prints one table: heartbeats written per second, their latency, false stale (a server that was never
// frozen or stopped, judged stale by the stale rule at a sample or in a "component-stale" event), the
// primaries seen (lease holders, and at most how many servers believed they were primary at one instant),
// the database's CPU per heartbeat where it can read it (a PostgreSQL server on this machine, from /proc),
// the primary's health-check duration, and the simulator's own CPU.
'use strict';
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { mkdtempSync, readdirSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');

const ROOT = path.resolve(__dirname, '..');
const dist = (file) => require(path.join(ROOT, 'dist', file));

const usage =
  'usage: npm run simulate -- --servers N [--heartbeat S] [--stale T] [--seconds D] [--database-url URL]\n' +
  '                           [--wrong-keys K] [--paused P] [--stopping X] [--real-nodes R] [--pool C]';

function fail(message) {
  process.stderr.write(`${message}\n${usage}\n`);
  process.exit(2);
}

function wholeNumber(values, name, min, max, fallback) {
  const text = values[name];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max)
    fail(`--${name}: must be a whole number from ${min} to ${max}, got "${text}"`);
  return value;
}

function parseOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: Object.fromEntries(
        [
          'servers',
          'heartbeat',
          'stale',
          'seconds',
          'database-url',
          'wrong-keys',
          'paused',
          'stopping',
          'real-nodes',
          'pool',
        ].map((name) => [name, { type: 'string' }]),
      ),
    }));
  } catch (error) {
    fail(error.message);
  }
  if (values.servers === undefined) fail('--servers is required');
  const servers = wholeNumber(values, 'servers', 1, 5000);
  const heartbeat = wholeNumber(values, 'heartbeat', 1, 300, 1);
  const stale = wholeNumber(values, 'stale', 3 * heartbeat, 3600, 3 * heartbeat);
  const seconds = wholeNumber(values, 'seconds', 5, 3600, 30);
  // By default one server in a hundred of each kind (at least one of each from 10 servers).
  const some = servers >= 10 ? Math.max(1, Math.floor(servers / 100)) : 0;
  const wrongKeys = wholeNumber(values, 'wrong-keys', 0, servers - 1, some);
  const paused = wholeNumber(values, 'paused', 0, servers - 1 - wrongKeys, some);
  const stopping = wholeNumber(values, 'stopping', 0, servers - 1 - wrongKeys - paused, some);
  const realNodes = wholeNumber(values, 'real-nodes', 0, 20, 0);
  const pool = wholeNumber(values, 'pool', 2, 100, 20);
  const databaseUrl = values['database-url'];
  if (databaseUrl !== undefined && !/^(file:.+|postgres(ql)?:\/\/.+)$/.test(databaseUrl))
    fail('--database-url: must start with file: (SQLite) or postgresql:// (PostgreSQL)');
  return { servers, heartbeat, stale, seconds, databaseUrl, wrongKeys, paused, stopping, realNodes, pool };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// ---- CPU from /proc (Linux) -------------------------------------------------------------------------

const TICKS = 100;

function stat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return {
      pid,
      ppid: Number(fields[1]),
      own: Number(fields[11]) + Number(fields[12]),
      reaped: Number(fields[13]) + Number(fields[14]),
    };
  } catch {
    return null;
  }
}

/** CPU seconds of a process and everything under it (see test/support/cpu.ts, which this mirrors). */
function treeCpuSeconds(rootPid) {
  const stats = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => stat(Number(name)))
    .filter(Boolean);
  const root = stats.find((entry) => entry.pid === rootPid);
  if (!root) return NaN;
  let ticks = root.reaped;
  const pending = [root];
  while (pending.length > 0) {
    const next = pending.pop();
    ticks += next.own;
    for (const child of stats) if (child.ppid === next.pid) pending.push(child);
  }
  return ticks / TICKS;
}

/** The postmaster of a PostgreSQL server on this machine: the parent of our own backend. */
async function localPostmaster(prisma) {
  if (prisma.kind !== 'postgresql') return null;
  const [row] = await prisma.client.$queryRawUnsafe('SELECT pg_backend_pid() AS pid');
  const backend = stat(Number(row.pid));
  return backend ? backend.ppid : null;
}

// ---- the simulated servers ---------------------------------------------------------------------------

/**
 * One simulated server: Nest builds the node's main loop from the real modules, for this server's
 * configuration and keys, around the shared pool and metrics.
 */
async function simulatedServer({ name, index, databaseUrl, keys, shared, timings }) {
  const { Test } = require('@nestjs/testing');
  const { ScheduleModule } = require('@nestjs/schedule');
  const { loadAppConfig } = dist('modules/environment/app-config');
  const { EnvironmentModule } = dist('modules/environment/environment.module');
  const { NodeKeys } = dist('modules/environment/node-keys');
  const { NodeLifecycle } = dist('modules/environment/node-lifecycle');
  const { DatabaseModule } = dist('modules/database/database.module');
  const { PrismaService } = dist('modules/database/prisma.service');
  const { MetricsService } = dist('modules/metrics/metrics.service');
  const { NodeLoopModule } = dist('modules/node-loop/node-loop.module');
  const { HeartbeatScheduler } = dist('modules/node-loop/heartbeat-scheduler');
  const { HeartbeatRepository } = dist('modules/heartbeat/heartbeat.repository');
  const { DatabasePathReporter } = dist('modules/heartbeat/database-path.reporter');
  const { FailoverService } = dist('modules/failover/failover.service');
  const { HealthCheckerService } = dist('modules/health-checker/health-checker.service');

  const config = loadAppConfig(
    {
      DATABASE_URL: databaseUrl,
      CLUSTER_SERVER_NAME: name,
      // A private address per server, as each would advertise on a real network.
      CLUSTER_ADVERTISED_ADDRESS: `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`,
    },
    { hostname: name, firstExternalIpv4: undefined, version: shared.version, cwd: ROOT },
  );
  const moduleRef = await Test.createTestingModule({
    imports: [
      EnvironmentModule.forRoot(config, new NodeKeys(keys.encryption, keys.machine)),
      DatabaseModule,
      ScheduleModule.forRoot(),
      NodeLoopModule,
    ],
  })
    .overrideProvider(PrismaService)
    .useValue(shared.prisma)
    .overrideProvider(MetricsService)
    .useValue(shared.metrics)
    .overrideProvider(DatabasePathReporter)
    .useValue({ noteHeartbeat: () => undefined })
    .setLogger(shared.logger)
    .compile();
  const get = (token) => moduleRef.get(token, { strict: false });

  // Timed where they run: the heartbeat statement of every server, and the health check of the primary.
  const heartbeats = get(HeartbeatRepository);
  const reportPresence = heartbeats.reportPresence.bind(heartbeats);
  heartbeats.reportPresence = async (...args) => {
    const started = performance.now();
    const answer = await reportPresence(...args);
    if (timings.on) timings.heartbeats.push(performance.now() - started);
    return answer;
  };
  const checker = get(HealthCheckerService);
  const run = checker.run.bind(checker);
  checker.run = async (...args) => {
    const started = performance.now();
    await run(...args);
    if (timings.on) timings.healthChecks.push(performance.now() - started);
  };

  // Frozen: the loop's next period waits until the server thaws, as a process under SIGSTOP would.
  const scheduler = get(HeartbeatScheduler);
  let thawed = null;
  const tick = scheduler.tick.bind(scheduler);
  scheduler.tick = async () => {
    await thawed;
    return tick();
  };

  await moduleRef.init();
  const failover = get(FailoverService);
  const lifecycle = get(NodeLifecycle);
  return {
    name,
    isPrimary: () => failover.isPrimary(),
    freeze() {
      let thaw;
      thawed = new Promise((resolve) => (thaw = resolve));
      return () => {
        thawed = null;
        thaw();
      };
    },
    /** SIGTERM: hand the role over at once, then stop the loop and sign off. */
    async stop() {
      lifecycle.beginStopping();
      await sleep(200);
      await moduleRef.close();
    },
    close: () => moduleRef.close(),
  };
}

/** A shared PrismaService whose lifecycle belongs to the simulator, not to each server's module. */
function sharedPrisma(prisma) {
  return Object.assign(Object.create(prisma), {
    onModuleInit: async () => undefined,
    onApplicationShutdown: async () => undefined,
  });
}

function startRealNode(name, databaseUrl, keys, port) {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'main.js')], {
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'error',
      SHUTDOWN_GRACE_SECONDS: '0',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      CLUSTER_SERVER_NAME: name,
      CLUSTER_ADVERTISED_ADDRESS: '127.0.0.1',
      ENCRYPTION_KEY: keys.encryption.toString('hex'),
      MACHINE_KEY: keys.machine.toString('hex'),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

async function waitHealthy(port) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return;
    } catch {
      // not yet
    }
    await sleep(200);
  }
  throw new Error(`a real node on port ${port} did not become healthy within 60 s`);
}

// ---- the run -------------------------------------------------------------------------------------------

async function main() {
  const options = parseOptions();
  const { Logger } = require('@nestjs/common');
  const { loadAppConfig } = dist('modules/environment/app-config');
  const { PrismaService } = dist('modules/database/prisma.service');
  const { MetricsService } = dist('modules/metrics/metrics.service');
  const { Prisma } = dist('generated/sqlite/client');
  const version = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;

  let folder = null;
  let databaseUrl = options.databaseUrl;
  if (!databaseUrl) {
    folder = mkdtempSync(path.join(tmpdir(), 'cluster-simulate-'));
    databaseUrl = `file:${path.join(folder, 'cluster.db')}`;
  }
  // Warnings from the servers' loops (a stepped-down primary, a failed heartbeat) are findings: printed.
  const logger = new Logger('simulate');
  Logger.overrideLogger(['error', 'warn']);
  const config = loadAppConfig(
    { DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: String(options.pool) },
    { hostname: 'simulate', firstExternalIpv4: undefined, version, cwd: ROOT },
  );
  const prisma = new PrismaService(config);
  await prisma.onModuleInit();
  const existing = await prisma.client.component.count();
  if (existing > 0) {
    await prisma.onApplicationShutdown();
    fail(`--database-url: the database already has ${existing} components; give the simulator an empty one`);
  }
  await prisma.client.clusterSettings.update({
    where: { id: 1 },
    data: { heartbeatFrequencySeconds: options.heartbeat, staleTimeoutSeconds: options.stale },
  });
  const shared = { prisma: sharedPrisma(prisma), metrics: new MetricsService(), logger, version };
  const timings = { on: false, heartbeats: [], healthChecks: [] };
  const cluster = { encryption: randomBytes(32), machine: randomBytes(32) };
  const postmaster = await localPostmaster(prisma).catch(() => null);

  // Which server plays which part: the first is always a plain one, so it records the cluster's key check.
  const roles = Array.from({ length: options.servers }, () => 'plain');
  let next = options.servers - 1;
  for (const [role, count] of [
    ['wrong-keys', options.wrongKeys],
    ['paused', options.paused],
    ['stopping', options.stopping],
  ])
    for (let i = 0; i < count; i += 1) roles[next--] = role;

  const started = performance.now();
  const servers = [];
  const batch = 25;
  for (let first = 0; first < options.servers; first += batch) {
    const names = roles
      .slice(first, first + batch)
      .map((role, offset) => ({ role, index: first + offset + 1 }));
    servers.push(
      ...(await Promise.all(
        names.map(async ({ role, index }) => ({
          role,
          ...(await simulatedServer({
            name: `sim-${String(index).padStart(4, '0')}`,
            index,
            databaseUrl,
            keys: role === 'wrong-keys' ? { encryption: randomBytes(32), machine: randomBytes(32) } : cluster,
            shared,
            timings,
          })),
        })),
      )),
    );
  }
  const startSeconds = (performance.now() - started) / 1000;
  const realNodes = [];
  for (let i = 1; i <= options.realNodes; i += 1) {
    const port = 19000 + Math.floor(Math.random() * 900) * 10 + i;
    realNodes.push({ child: startRealNode(`real-${i}`, databaseUrl, cluster, port), port });
  }
  await Promise.all(realNodes.map((node) => waitHealthy(node.port)));
  // Settle: every server through a few periods before measuring.
  await sleep(3 * options.heartbeat * 1000);

  const firstEvent = (await prisma.client.event.aggregate({ _max: { id: true } }))._max.id ?? 0;
  const frozenOrStopped = new Set();
  const falseStale = new Set();
  let falseStaleSamples = 0;
  const holders = new Set();
  let mostBelievers = 0;
  timings.on = true;
  const cpu0 = process.cpuUsage();
  const database0 = postmaster ? treeCpuSeconds(postmaster) : NaN;
  const measureStart = performance.now();

  const believers = setInterval(() => {
    const count = servers.filter((server) => !server.gone && server.isPrimary()).length;
    mostBelievers = Math.max(mostBelievers, count);
  }, 100);
  const staleSampler = setInterval(async () => {
    try {
      const rows = await prisma.client.$queryRaw(Prisma.sql`
        SELECT s.name AS name, l.holder AS holder, l.epoch AS epoch,
               CASE WHEN c.last_heartbeat_at_ms < ${prisma.nowMsSql()} - cs.stale_timeout_seconds * 1000
                    THEN 1 ELSE 0 END AS stale
        FROM components c JOIN servers s ON s.id = c.server_id JOIN cluster_settings cs ON cs.id = 1
        JOIN leases l ON l.role = 'service'
        WHERE c.type = 'service'`);
      for (const row of rows) {
        holders.add(`${row.holder}@${row.epoch}`);
        if (Number(row.stale) === 1 && !frozenOrStopped.has(row.name)) {
          falseStale.add(row.name);
          falseStaleSamples += 1;
        }
      }
    } catch (error) {
      logger.warn(`a stale sample failed: ${error.message}`);
    }
  }, 1000);

  // The transitions: freeze some a quarter in (for 2 × T), stop some halfway.
  const quarter = (options.seconds * 1000) / 4;
  const events = [
    sleep(quarter).then(async () => {
      const thaws = servers
        .filter((server) => server.role === 'paused')
        .map((server) => {
          frozenOrStopped.add(server.name);
          return server.freeze();
        });
      await sleep(2 * options.stale * 1000);
      for (const thaw of thaws) thaw();
    }),
    sleep(2 * quarter).then(() =>
      Promise.all(
        servers
          .filter((server) => server.role === 'stopping')
          .map(async (server) => {
            frozenOrStopped.add(server.name);
            await server.stop();
            server.gone = true;
          }),
      ),
    ),
  ];
  await sleep(options.seconds * 1000);
  await Promise.all(events);
  clearInterval(believers);
  clearInterval(staleSampler);
  timings.on = false;
  const seconds = (performance.now() - measureStart) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const databaseCpu = postmaster ? treeCpuSeconds(postmaster) - database0 : NaN;

  const staleEvents = await prisma.client.event.findMany({
    where: { id: { gt: firstEvent }, kind: 'component-stale' },
    select: { serverName: true },
  });
  const falseStaleEvents = staleEvents.filter((event) => !frozenOrStopped.has(event.serverName));
  const expectedStale = new Set(
    staleEvents.filter((event) => frozenOrStopped.has(event.serverName)).map((event) => event.serverName),
  );
  const wrongKeysFlagged = await prisma.client.component.count({
    where: { type: 'web', observedKeys: 'decryption-failure' },
  });
  const beats = timings.heartbeats.length;
  const rows = [
    [
      'servers',
      `${options.servers} simulated (${options.wrongKeys} on wrong keys, ${options.paused} frozen for ${2 * options.stale} s, ${options.stopping} stopped) + ${options.realNodes} real`,
    ],
    ['database', prisma.kind === 'sqlite' ? `SQLite ${databaseUrl.slice(5)}` : 'PostgreSQL'],
    ['heartbeat / stale timeout', `${options.heartbeat} s / ${options.stale} s`],
    ['measured for', `${seconds.toFixed(1)} s (servers started in ${startSeconds.toFixed(1)} s)`],
    ['heartbeats written per second', (beats / seconds).toFixed(1) + ' (simulated servers)'],
    [
      'heartbeat latency p50 / p99',
      `${percentile(timings.heartbeats, 50).toFixed(2)} ms / ${percentile(timings.heartbeats, 99).toFixed(2)} ms`,
    ],
    [
      'false stale',
      `${falseStale.size} servers at ${falseStaleSamples} samples, ${falseStaleEvents.length} events`,
    ],
    [
      'true stale, keys flagged',
      `${expectedStale.size} of the ${frozenOrStopped.size} frozen or stopped servers went stale; ` +
        `${wrongKeysFlagged} web components fail key verification (${options.wrongKeys} on wrong keys)`,
    ],
    [
      'primaries seen',
      `${holders.size} lease holder(s); at most ${mostBelievers} server(s) believed they were primary at one instant`,
    ],
    [
      'database CPU per heartbeat',
      postmaster
        ? `${((databaseCpu * 1000) / beats).toFixed(3)} ms (${(databaseCpu / seconds).toFixed(3)} cores: the whole server on this machine, pid ${postmaster})`
        : prisma.kind === 'sqlite'
          ? "in this process (SQLite): counted in the simulator's CPU"
          : 'not readable (the server is not on this machine)',
    ],
    [
      'primary health check p50 / p99',
      `${percentile(timings.healthChecks, 50).toFixed(1)} ms / ${percentile(timings.healthChecks, 99).toFixed(1)} ms (${timings.healthChecks.length} runs)`,
    ],
    [
      'simulator CPU',
      `${((cpu.user + cpu.system) / 1000 / beats).toFixed(3)} ms per heartbeat (${((cpu.user + cpu.system) / 1e6 / seconds).toFixed(3)} cores)`,
    ],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  process.stdout.write(`\n${rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n')}\n`);

  for (const server of servers) if (!server.gone) await server.close().catch(() => undefined);
  for (const node of realNodes) node.child.kill('SIGTERM');
  await prisma.onApplicationShutdown();
  if (folder) rmSync(folder, { recursive: true, force: true });
  const ok =
    falseStale.size === 0 && falseStaleEvents.length === 0 && holders.size === 1 && mostBelievers <= 1;
  process.exitCode = ok ? 0 : 1;
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
