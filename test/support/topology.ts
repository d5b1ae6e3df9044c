import { ChildProcess, execFile, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { basename, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { Client, ClientConfig, QueryResultRow } from 'pg';
import { exitOf, freePort } from './node-process';

/**
 * The production topology for the `topology` test tier: a PostgreSQL primary and its streaming replicas,
 * PgBouncer and HAProxy, all real processes with their default behaviour, on ports and folders of their own
 * (never the shared server on 5432). Everything started here is tracked, so `stopAll()` in an afterAll ends
 * it even after a failure, and a watchdog process ends whatever is left when the test process goes.
 */

const PG_BIN = '/usr/lib/postgresql/15/bin';
const BINARIES = {
  initdb: `${PG_BIN}/initdb`,
  pgCtl: `${PG_BIN}/pg_ctl`,
  pgBasebackup: `${PG_BIN}/pg_basebackup`,
  pgbouncer: '/usr/sbin/pgbouncer',
  haproxy: '/usr/sbin/haproxy',
};

/** The binaries this harness needs that are not installed, so a test file can skip and say why. */
export function missingBinaries(): string[] {
  return Object.values(BINARIES).filter((path) => !existsSync(path));
}

// ---- Processes, users and folders -------------------------------------------------------------------

/** What a piece leaves behind if the test process dies: a process to signal (or its pid file), a folder. */
interface Remains {
  pid?: number;
  pidFile?: string;
  signal: NodeJS.Signals;
  dir: string;
}

// The watchdog's whole program. It reads "watch"/"forget" lines from the test process and, when its stdin
// closes (the test process has gone, however it went), signals what is still watched, waits a little for
// it to go, and removes its folders.
const WATCHDOG = `
const fs = require('node:fs');
const watched = new Map();
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  pending += chunk;
  for (let end; (end = pending.indexOf('\\n')) >= 0; pending = pending.slice(end + 1)) {
    const { id, remains } = JSON.parse(pending.slice(0, end));
    if (remains) watched.set(id, remains); else watched.delete(id);
  }
});
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
process.stdin.on('close', async () => {
  const pids = [];
  for (const { pid, pidFile, signal } of watched.values()) {
    try {
      const target = pidFile ? Number(fs.readFileSync(pidFile, 'utf8').split('\\n')[0]) : pid;
      process.kill(target, signal);
      pids.push(target);
    } catch {}
  }
  for (let waited = 0; waited < 5000 && pids.some(alive); waited += 50) await new Promise((r) => setTimeout(r, 50));
  for (const { dir } of watched.values()) fs.rmSync(dir, { recursive: true, force: true });
});
`;

/**
 * Ends what is left of the pieces when the test process goes without stopAll() (a crash, a Ctrl-C, a
 * worker Jest kills). Not an 'exit' handler: Jest gives each test file a copy of `process` whose events
 * never fire, pg_ctl puts the postmaster in a session of its own so a Ctrl-C does not reach it, and
 * nothing at all runs in a process that is killed.
 */
class Watchdog {
  private child: ChildProcess | null = null;
  private ids = 0;

  watch(remains: Remains): number {
    const id = ++this.ids;
    this.send({ id, remains });
    return id;
  }

  forget(id: number): void {
    this.send({ id });
  }

  private send(message: { id: number; remains?: Remains }): void {
    if (!this.child) {
      // Its own process group, so a Ctrl-C ends the tests but not the watchdog that cleans up after them.
      this.child = spawn(process.execPath, ['-e', WATCHDOG], {
        stdio: ['pipe', 'ignore', 'ignore'],
        detached: true,
      });
      this.child.unref();
      (this.child.stdin as unknown as { unref(): void }).unref();
    }
    this.child.stdin!.write(`${JSON.stringify(message)}\n`);
  }
}

const watchdog = new Watchdog();

/** Everything started here and not yet stopped, oldest first. */
const running = new Map<object, () => Promise<void>>();

/** Ends everything this harness started and still runs, newest first (proxies before their databases). */
export async function stopAll(): Promise<void> {
  const errors: unknown[] = [];
  for (const end of [...running.values()].reverse()) {
    try {
      await end();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length) throw new AggregateError(errors, 'some topology pieces did not stop cleanly');
}

let serviceUserCache: { uid: number; gid: number } | null | undefined;

/** initdb, pg_ctl, postgres and pgbouncer refuse root; when the tests run as root, they all run as `postgres`. */
function serviceUser(): { uid: number; gid: number } | null {
  if (serviceUserCache !== undefined) return serviceUserCache;
  if (process.getuid?.() !== 0) return (serviceUserCache = null);
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((line) => line.startsWith('postgres:'));
  if (!entry) throw new Error('the tests run as root, and there is no postgres user to run PostgreSQL as');
  const [, , uid, gid] = entry.split(':');
  return (serviceUserCache = { uid: Number(uid), gid: Number(gid) });
}

/**
 * A fresh folder the service user owns. Under /tmp rather than $TMPDIR: the service user must be able to
 * reach it, and a unix socket path inside it must stay under the kernel's 108 bytes.
 */
function ownedTempDir(kind: string): string {
  const dir = mkdtempSync(`/tmp/topology-${kind}-`);
  const user = serviceUser();
  if (user) chownSync(dir, user.uid, user.gid);
  return dir;
}

function writeOwned(path: string, text: string): void {
  writeFileSync(path, text);
  const user = serviceUser();
  if (user) chownSync(path, user.uid, user.gid);
}

/** A clean environment: the test's own PGHOST, PGPORT or DATABASE_URL point at the shared server. */
function serviceOptions(cwd: string) {
  return { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd }, ...(serviceUser() ?? {}) };
}

/** Runs a command to completion as the service user; its output is in the error when it fails. */
function run(file: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { ...serviceOptions(cwd), timeout: 120_000 }, (error, stdout, stderr) => {
      if (error)
        reject(new Error(`${basename(file)} ${args.join(' ')}: ${error.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

/**
 * A long-running program in the foreground, as the service user, with its output kept; its folder goes
 * when it stops.
 */
class ServiceProcess {
  private text = '';
  private readonly child: ChildProcess;
  private readonly watchId: number;

  constructor(
    file: string,
    args: string[],
    private readonly dir: string,
  ) {
    this.child = spawn(file, args, { ...serviceOptions(dir), stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.on('error', (error) => (this.text += `\n[could not run ${file}: ${error.message}]`));
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      stream.on('data', (chunk: Buffer) => (this.text += chunk.toString()));
      // A piece a test forgot must not keep Jest from exiting: the watchdog ends it then.
      (stream as unknown as { unref(): void }).unref();
    }
    this.child.unref();
    this.watchId = watchdog.watch({ pid: this.child.pid, signal: 'SIGKILL', dir });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get exited(): boolean {
    return this.child.pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null;
  }

  output(): string {
    return this.text;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000): Promise<void> {
    if (!this.exited) {
      const exited = exitOf(this.child);
      this.child.kill(signal);
      const kill = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(kill);
    }
    rmSync(this.dir, { recursive: true, force: true });
    watchdog.forget(this.watchId);
  }
}

/** Polls until the check passes; a check that throws has simply not passed yet. */
async function until(
  what: string,
  check: () => Promise<boolean>,
  { timeoutMs = 30_000, abort }: { timeoutMs?: number; abort?: () => string | undefined } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    const reason = abort?.();
    if (reason) throw new Error(`gave up waiting for ${what}: ${reason}`);
    try {
      if (await check()) return;
    } catch (error) {
      lastError = (error as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (${lastError})` : ''}`,
      );
    }
    await delay(50);
  }
}

/** One query on a connection of its own, so a test never holds a session across a restart or failover. */
async function queryOnce<T extends QueryResultRow>(config: ClientConfig, sql: string, params?: unknown[]) {
  const client = new Client({ connectionTimeoutMillis: 5_000, ...config });
  // A server that goes away mid-query rejects the query; without a listener it would also crash Jest.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

// ---- PostgreSQL -------------------------------------------------------------------------------------

// Trust, but only on the loopback and the server's own socket folder: nothing else can reach these servers.
// The replication lines are for pg_basebackup and for a standby's walreceiver.
const PG_HBA = `local   all          all                 trust
local   replication  all                 trust
host    all          all   127.0.0.1/32  trust
host    replication  all   127.0.0.1/32  trust
`;

// Appended to initdb's postgresql.conf, so pg_basebackup hands it on to every replica.
const POSTGRESQL_CONF = `
# ---- test/support/topology.ts ----
listen_addresses = '127.0.0.1'
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
hot_standby = on
# A standby that was stopped or cut off for a while can still catch up from the primary's pg_wal.
wal_keep_size = '256MB'
# So pg_rewind can turn a former primary into a standby of the new one.
wal_log_hints = on
# Speed: nothing survives the test run, and a process crash (stop -m immediate) loses no committed
# data without fsync, only an operating system crash would. synchronous_commit stays on: off would lose
# commits still in the WAL buffers on an immediate stop, and delay what the replica receives.
fsync = off
# What differs between the servers of one cluster (port, socket folder, name), rewritten for each replica.
include = 'node.conf'
`;

/** A PostgreSQL 15 server of the test's own: a primary, or a hot standby streaming from one. */
export class PostgresServer {
  private static replicas = 0;
  private readonly watchId: number;

  private constructor(
    /** Its cluster_name, which is also the application_name its walreceiver shows the primary. */
    readonly name: string,
    readonly port: number,
    private readonly dir: string,
    /** The server it streams from, while it is a replica. */
    private upstream: PostgresServer | null,
  ) {
    running.set(this, () => this.destroy());
    // SIGQUIT is the postmaster's immediate shutdown; it ends its children too.
    this.watchId = watchdog.watch({ pidFile: join(this.dataDir, 'postmaster.pid'), signal: 'SIGQUIT', dir });
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** initdb, a configuration fit for streaming replication, started, with an `app` database. */
  static async primary(name = 'primary'): Promise<PostgresServer> {
    const server = new PostgresServer(name, await freePort(), ownedTempDir('postgres'), null);
    await server.bin(BINARIES.initdb, [
      '-D',
      server.dataDir,
      '-U',
      'postgres',
      '--auth=trust',
      '--encoding=UTF8',
      '--locale=C.UTF-8',
      '--no-sync',
      '--no-instructions',
    ]);
    writeOwned(join(server.dataDir, 'pg_hba.conf'), PG_HBA);
    writeOwned(
      join(server.dataDir, 'postgresql.conf'),
      readFileSync(join(server.dataDir, 'postgresql.conf'), 'utf8') + POSTGRESQL_CONF,
    );
    server.writeNodeConf();
    await server.start();
    await server.query('CREATE DATABASE app', undefined, 'postgres');
    return server;
  }

  /** A hot standby made by pg_basebackup -R from this server, returned once it streams from it. */
  async replica(name = `replica${++PostgresServer.replicas}`): Promise<PostgresServer> {
    const replica = new PostgresServer(name, await freePort(), ownedTempDir('postgres'), this);
    // -R writes standby.signal and primary_conninfo (into postgresql.auto.conf); -X stream brings the WAL
    // written during the copy, so the standby is consistent as soon as it starts.
    await replica.bin(BINARIES.pgBasebackup, [
      ...['-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres'],
      ...['-D', replica.dataDir, '-R', '-X', 'stream', '-c', 'fast', '--no-sync'],
    ]);
    replica.writeNodeConf();
    await replica.start();
    await replica.waitUntilStreaming();
    return replica;
  }

  url(database = 'app'): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async query<T extends QueryResultRow = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
    database = 'app',
  ): Promise<T[]> {
    return queryOnce<T>({ connectionString: this.url(database) }, sql, params);
  }

  /** The postmaster's process id (its children are the backends and the server's own processes). */
  postmasterPid(): number {
    return Number(readFileSync(join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  }

  async start(): Promise<void> {
    await this.bin(BINARIES.pgCtl, ['start', '-D', this.dataDir, '-l', this.logFile, '-w', '-t', '60']);
  }

  /** A clean shutdown (-m fast): sessions are ended, a checkpoint is written. */
  async stop(): Promise<void> {
    await this.bin(BINARIES.pgCtl, ['stop', '-D', this.dataDir, '-m', 'fast', '-w']);
  }

  /** Like a crash: no checkpoint, the next start runs crash recovery. */
  async stopImmediate(): Promise<void> {
    await this.bin(BINARIES.pgCtl, ['stop', '-D', this.dataDir, '-m', 'immediate', '-w']);
  }

  /** Ends recovery; returns once the server accepts writes, on a new timeline. */
  async promote(): Promise<void> {
    await this.bin(BINARIES.pgCtl, ['promote', '-D', this.dataDir, '-w', '-t', '60']);
    await until(`${this.name} to accept writes`, async () => {
      const [row] = await this.query<{ recovery: boolean }>('SELECT pg_is_in_recovery() AS recovery');
      return !row.recovery;
    });
    this.upstream = null;
  }

  /**
   * A network partition between this replica and its primary, with both still running: an empty
   * primary_conninfo (reloadable since PostgreSQL 13) makes the startup process stop its walreceiver and
   * not start another, so the standby stays in recovery with what it has. ALTER SYSTEM keeps it so across
   * restarts of the replica.
   */
  async cutReplication(): Promise<void> {
    await this.query(`ALTER SYSTEM SET primary_conninfo = ''`, undefined, 'postgres');
    await this.query('SELECT pg_reload_conf()', undefined, 'postgres');
    await until(`${this.name}'s walreceiver to stop`, async () => {
      return (await this.query('SELECT pid FROM pg_stat_wal_receiver', undefined, 'postgres')).length === 0;
    });
    const upstream = this.upstream;
    if (upstream && upstream.isRunning()) {
      await until(`${upstream.name} to stop sending WAL to ${this.name}`, async () => {
        const senders = await upstream.query(
          'SELECT pid FROM pg_stat_replication WHERE application_name = $1',
          [this.name],
          'postgres',
        );
        return senders.length === 0;
      });
    }
  }

  /** The same for a primary and all its replicas, and for a promoted replica: they share one lineage. */
  async systemIdentifier(): Promise<string> {
    const [row] = await this.query<{ id: string }>(
      'SELECT system_identifier::text AS id FROM pg_control_system()',
      undefined,
      'postgres',
    );
    return row.id;
  }

  /** The timeline it writes (a primary) or replays (a standby); a promotion starts a higher one. */
  async timeline(): Promise<number> {
    const [{ recovery }] = await this.query<{ recovery: boolean }>('SELECT pg_is_in_recovery() AS recovery');
    // The WAL file name begins with the timeline, in hex: the current one, even before the checkpoint that
    // follows a promotion has reached pg_control.
    const sql = recovery
      ? 'SELECT coalesce((SELECT received_tli FROM pg_stat_wal_receiver), (SELECT timeline_id FROM pg_control_checkpoint())) AS timeline'
      : `SELECT ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int AS timeline`;
    const [row] = await this.query<{ timeline: number }>(sql, undefined, 'postgres');
    return Number(row.timeline);
  }

  /** What the server logged, for a failing test's message. */
  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  isRunning(): boolean {
    return existsSync(join(this.dataDir, 'postmaster.pid'));
  }

  /** Stops it at once if it runs, and removes its folder. */
  async destroy(): Promise<void> {
    if (this.isRunning()) await this.stopImmediate();
    rmSync(this.dir, { recursive: true, force: true });
    watchdog.forget(this.watchId);
    running.delete(this);
  }

  private get logFile(): string {
    return join(this.dir, 'postgres.log');
  }

  private writeNodeConf(): void {
    writeOwned(
      join(this.dataDir, 'node.conf'),
      `port = ${this.port}\nunix_socket_directories = '${this.dir}'\ncluster_name = '${this.name}'\n`,
    );
  }

  private async waitUntilStreaming(): Promise<void> {
    const upstream = this.upstream!;
    await until(`${this.name} to stream from ${upstream.name}`, async () => {
      const [own] = await this.query<{ recovery: boolean; status: string | null }>(
        'SELECT pg_is_in_recovery() AS recovery, (SELECT status FROM pg_stat_wal_receiver) AS status',
        undefined,
        'postgres',
      );
      if (!own.recovery || own.status !== 'streaming') return false;
      const senders = await upstream.query(
        `SELECT pid FROM pg_stat_replication WHERE application_name = $1 AND state = 'streaming'`,
        [this.name],
        'postgres',
      );
      return senders.length > 0;
    });
  }

  private async bin(file: string, args: string[]): Promise<void> {
    try {
      await run(file, args, this.dir);
    } catch (error) {
      throw new Error(
        `${this.name}: ${(error as Error).message}\n--- postgres.log ---\n${this.log().slice(-4_000)}`,
        { cause: error },
      );
    }
  }
}

// ---- PgBouncer --------------------------------------------------------------------------------------

export interface PgBouncerOptions {
  targetHost: string;
  targetPort: number;
  mode: 'transaction' | 'session';
  database?: string;
  /** Settings added to (or overriding) the [pgbouncer] section. */
  extraIni?: Record<string, string>;
}

/**
 * PgBouncer 1.18 in front of one database, with its default settings apart from where it listens, how it
 * authenticates and its pool mode: in particular no ignore_startup_parameters, so a client that sends
 * anything beyond client_encoding, datestyle, timezone, standard_conforming_strings and application_name
 * is refused at connect, as in a default installation.
 */
export class PgBouncer {
  private constructor(
    readonly port: number,
    readonly database: string,
    /** The exact pgbouncer.ini, for documentation to quote. */
    readonly iniText: string,
    private readonly service: ServiceProcess,
  ) {
    running.set(this, () => this.stop());
  }

  static async start({
    targetHost,
    targetPort,
    mode,
    database = 'app',
    extraIni = {},
  }: PgBouncerOptions): Promise<PgBouncer> {
    const dir = ownedTempDir('pgbouncer');
    const port = await freePort();
    const settings: Record<string, string> = {
      listen_addr: '127.0.0.1',
      listen_port: String(port),
      unix_socket_dir: dir,
      auth_type: 'trust',
      auth_file: join(dir, 'userlist.txt'),
      pool_mode: mode,
      logfile: join(dir, 'pgbouncer.log'),
      pidfile: join(dir, 'pgbouncer.pid'),
      ...extraIni,
    };
    const iniText = [
      '; Everything not set here is the PgBouncer default.',
      '[databases]',
      `${database} = host=${targetHost} port=${targetPort} dbname=${database}`,
      '',
      '[pgbouncer]',
      ...Object.entries(settings).map(([key, value]) => `${key} = ${value}`),
      '',
    ].join('\n');
    writeOwned(join(dir, 'pgbouncer.ini'), iniText);
    // With trust no password is checked, but PgBouncer still admits only the users its auth_file lists.
    writeOwned(join(dir, 'userlist.txt'), '"postgres" ""\n');
    const service = new ServiceProcess(BINARIES.pgbouncer, [join(dir, 'pgbouncer.ini')], dir);
    const bouncer = new PgBouncer(port, database, iniText, service);
    try {
      await until(
        `PgBouncer on ${port} to pass a query`,
        async () => (await bouncer.query('SELECT 1')).length === 1,
        {
          abort: () => (service.exited ? `pgbouncer exited:\n${service.output()}` : undefined),
        },
      );
    } catch (error) {
      await bouncer.stop();
      throw error;
    }
    return bouncer;
  }

  url(database = this.database): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** Its process, for measuring what it costs. */
  get pid(): number {
    return this.service.pid;
  }

  async query<T extends QueryResultRow = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
  ): Promise<T[]> {
    return queryOnce<T>({ connectionString: this.url() }, sql, params);
  }

  /** What PgBouncer printed; in the foreground it prints its log as it writes it to the logfile. */
  output(): string {
    return this.service.output();
  }

  /** SIGTERM, in 1.18 an immediate shutdown: client connections are dropped. */
  async stop(): Promise<void> {
    await this.service.stop('SIGTERM');
    running.delete(this);
  }
}

// ---- HAProxy ----------------------------------------------------------------------------------------

export interface HaProxyServer {
  name: string;
  host: string;
  port: number;
  /** Gets connections only while no other server is up. */
  backup?: boolean;
}

export type HaProxyAdminState = 'ready' | 'maint' | 'drain';

export interface HaProxyServerState {
  /** As `show stat` reports it: UP, DOWN, MAINT, DRAIN, or on the way, e.g. "UP 1/2" (one check failed). */
  status: string;
  backup: boolean;
  /** Sessions open now, and since HAProxy started: where the connections went. */
  currentSessions: number;
  totalSessions: number;
  /** The last health check's result, e.g. L4OK, L4CON, L7OK, L7STS. */
  checkStatus: string;
}

const BACKEND = 'servers';

/** HAProxy 2.6 in the foreground, unprivileged, with an admin socket for the test to drive it. */
export class HaProxy {
  private constructor(
    readonly mode: 'tcp' | 'http',
    readonly port: number,
    /** The exact haproxy.cfg, for documentation to quote. */
    readonly configText: string,
    private readonly dir: string,
    private readonly service: ServiceProcess,
  ) {
    running.set(this, () => this.stop());
  }

  /** http://127.0.0.1:port in http mode; in tcp mode tcp://127.0.0.1:port, and see databaseUrl(). */
  get url(): string {
    return `${this.mode}://127.0.0.1:${this.port}`;
  }

  /** For tcp mode in front of PostgreSQL or PgBouncer. */
  databaseUrl(database = 'app'): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** A TCP proxy to the servers, with connect checks; connections to a server marked down are cut. */
  static async tcp({ servers }: { servers: HaProxyServer[] }): Promise<HaProxy> {
    const dir = ownedTempDir('haproxy');
    const port = await freePort();
    const config = `${globalSection(dir)}
defaults
    mode tcp
    log global
    option tcplog
    timeout connect 2s
    # Pooled database connections sit idle for long stretches; the proxy is not to cut them during a test.
    timeout client 30m
    timeout server 30m

frontend database
    bind 127.0.0.1:${port}
    default_backend ${BACKEND}

backend ${BACKEND}
    # A TCP connect check every 500 ms: down after two failures, up again at the first success. Sessions
    # to a server marked down (or put in maintenance) are shut, as a failover needs: clients reconnect and
    # reach the next server.
    default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions
${serverLines(servers)}
`;
    return HaProxy.launch('tcp', port, dir, config);
  }

  /** An HTTP round-robin load balancer over the nodes, taking out of rotation those whose /health fails. */
  static async http({
    servers,
    checkIntervalMs = 500,
    redispatch = false,
  }: {
    servers: HaProxyServer[];
    checkIntervalMs?: number;
    /**
     * Off: the plain configuration, where a request sent to a node that no longer accepts fails (503), so
     * the nodes' readiness alone must keep the rotation right. On: a refused connection is tried again on
     * another server, so a node that died (kill -9) costs only the requests it had in flight.
     */
    redispatch?: boolean;
  }): Promise<HaProxy> {
    const dir = ownedTempDir('haproxy');
    const port = await freePort();
    const config = `${globalSection(dir)}
defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 30s
    timeout server 30s
${redispatch ? '    retries 3\n    option redispatch\n' : ''}
frontend web
    bind 127.0.0.1:${port}
    default_backend ${BACKEND}

backend ${BACKEND}
    balance roundrobin
    option httpchk GET /health
    default-server inter ${checkIntervalMs}ms fall 2 rise 1
${serverLines(servers)}
`;
    return HaProxy.launch('http', port, dir, config);
  }

  /**
   * `set server servers/<name> state ready|maint|drain` on the admin socket. In the tcp setup, maint also
   * cuts the server's open sessions (on-marked-down shutdown-sessions applies to it too).
   */
  async setServerState(name: string, state: HaProxyAdminState): Promise<void> {
    const answer = (await this.command(`set server ${BACKEND}/${name} state ${state}`)).trim();
    if (answer) throw new Error(`HAProxy refused to set ${name} to ${state}: ${answer}`);
  }

  /** Every server of the backend by name, from `show stat`. */
  async serverStates(): Promise<Record<string, HaProxyServerState>> {
    const [header, ...lines] = (await this.command('show stat')).trim().split('\n');
    const columns = header.replace(/^# /, '').split(',');
    const states: Record<string, HaProxyServerState> = {};
    for (const line of lines) {
      const field = Object.fromEntries(line.split(',').map((value, i) => [columns[i], value]));
      if (field.pxname !== BACKEND || field.svname === 'BACKEND') continue;
      states[field.svname] = {
        status: field.status,
        backup: field.bck === '1',
        currentSessions: Number(field.scur),
        totalSessions: Number(field.stot),
        checkStatus: field.check_status,
      };
    }
    return states;
  }

  /** What HAProxy printed: alerts, server state changes, and a log line per connection or request. */
  output(): string {
    return this.service.output();
  }

  async stop(): Promise<void> {
    await this.service.stop('SIGTERM');
    running.delete(this);
  }

  private static async launch(
    mode: 'tcp' | 'http',
    port: number,
    dir: string,
    configText: string,
  ): Promise<HaProxy> {
    const configFile = join(dir, 'haproxy.cfg');
    writeOwned(configFile, configText);
    // -db: in the foreground, so the child is HAProxy itself and can be stopped.
    const service = new ServiceProcess(BINARIES.haproxy, ['-f', configFile, '-db'], dir);
    const proxy = new HaProxy(mode, port, configText, dir, service);
    // Servers start as "UP 1/2", neither proven up nor down; a test starts once every one has been
    // checked, so what it sees is each server's real state.
    try {
      await until(
        `HAProxy on ${port} to have checked its servers`,
        async () =>
          Object.values(await proxy.serverStates()).every(({ checkStatus }) => checkStatus !== 'INI'),
        {
          timeoutMs: 10_000,
          abort: () => (service.exited ? `haproxy exited:\n${service.output()}` : undefined),
        },
      );
    } catch (error) {
      await proxy.stop();
      throw error;
    }
    return proxy;
  }

  private command(command: string): Promise<string> {
    return new Promise((resolve, reject) => {
      // Without "prompt", HAProxy answers one command and closes the connection.
      const socket = createConnection(join(this.dir, 'admin.sock'));
      let answer = '';
      socket.setEncoding('utf8');
      socket.setTimeout(5_000, () => socket.destroy(new Error(`no answer to "${command}"`)));
      socket.on('connect', () => socket.write(`${command}\n`));
      socket.on('data', (chunk: string) => (answer += chunk));
      socket.on('error', reject);
      socket.on('close', (hadError) => hadError || resolve(answer));
    });
  }
}

function globalSection(dir: string): string {
  return `global
    # No user or group: HAProxy runs as whoever started it (the service user), with no privileges.
    stats socket ${dir}/admin.sock level admin
    log stderr format short local0 info
`;
}

function serverLines(servers: HaProxyServer[]): string {
  return servers
    .map(
      ({ name, host, port, backup }) => `    server ${name} ${host}:${port} check${backup ? ' backup' : ''}`,
    )
    .join('\n');
}

/**
 * describe() for a topology test file: skipped, and saying why, where the pieces are not installed; in CI,
 * which installs them (.ci/run), their absence is a failure, never a silent skip.
 */
export function describeTopology(name: string, tests: () => void): void {
  const missing = missingBinaries();
  if (missing.length === 0) return describe(name, tests);
  if (process.env.CI) {
    return describe(name, () =>
      it('has the pieces of the topology installed', () => {
        throw new Error(`not installed: ${missing.join(', ')} (.ci/run installs them)`);
      }),
    );
  }
  process.stderr.write(`Topology tests "${name}" skipped, not installed: ${missing.join(', ')}\n`);
  describe.skip(name, tests);
}
