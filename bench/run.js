#!/usr/bin/env node
// npm run bench: the Cluster Overview page and GET /api/cluster against a floor (bench/floor.js: bare
// Express 5 + the same hbs templates, rows from one JOIN per request or from memory), at 1, 100 and 1,000
// servers, on SQLite and, when TEST_DATABASE_URL names a PostgreSQL server, on PostgreSQL. These machines
// are shared and noisy, so the app and its floors run interleaved in one run and only ratios are compared:
// autocannon, 10 connections, BENCH_SECONDS (5) per measurement, three rounds, min / median / max.
// Also: statements per request (from the node's own count), page size, the primary's CPU per heartbeat,
// start to healthy and idle memory against a bare NestJS + Prisma process (bench/floor-nest.js).
// Nothing here passes or fails; BENCHMARKS.md says how to read it.
'use strict';
const autocannon = require('autocannon');
const Database = require('better-sqlite3');
const { spawn } = require('node:child_process');
const { randomBytes, randomUUID } = require('node:crypto');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const { gzipSync } = require('node:zlib');
const { Client } = require('pg');

const ROOT = path.resolve(__dirname, '..');
const { NodeKeys } = require(path.join(ROOT, 'dist/modules/environment/node-keys'));
const { KeyCrypto } = require(path.join(ROOT, 'dist/modules/verification/key-crypto'));

const SIZES = (process.env.BENCH_SIZES ?? '1,100,1000').split(',').map(Number);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = 3;
const API_KEY = 'bench-api-key-0123456789';
const PASSWORD = 'bench-password-0123';
/** One server in a hundred holds another cluster's keys: the page has errors to put first. */
const ODD_EVERY = 100;
let nextPort = 18000 + Math.floor(Math.random() * 1000) * 10;

async function main() {
  const kinds = ['sqlite', ...(process.env.TEST_DATABASE_URL ? ['postgresql'] : [])];
  if (kinds.length === 1) process.stdout.write('PostgreSQL left out: set TEST_DATABASE_URL to include it.\n');
  const report = [];
  for (const kind of kinds) report.push(await benchKind(kind));
  const startup = await benchStartup();
  process.stdout.write(`\n${renderReport(report, startup)}`);
}

/** Every size, endpoint and target on one kind of database. */
async function benchKind(kind) {
  const db = await createDatabase(kind);
  const keys = { encryption: randomBytes(32).toString('hex'), machine: randomBytes(32).toString('hex') };
  const app = await startApp(db, keys, 'bench-node');
  const freshener = setInterval(() => db.refreshHeartbeats().catch(() => {}), 5_000);
  const result = { kind, sizes: [] };
  try {
    const cookie = await signIn(app.base);
    const seeder = tokenMaker(keys);
    for (const size of SIZES) {
      await db.seed(size - 1, seeder);
      progress(`${kind}, ${size} server(s): measuring`);
      const floorDb = await startFloor(db, 'db');
      const floorMem = await startFloor(db, 'mem');
      try {
        const targets = {
          app: { base: app.base, headers: { cookie, 'x-apikey': API_KEY } },
          'floor-db': { base: floorDb.base, headers: {} },
          'floor-mem': { base: floorMem.base, headers: {} },
        };
        const rounds = { page: [], api: [] };
        for (let round = 0; round < ROUNDS; round += 1) {
          for (const [endpoint, route] of [
            ['page', '/administration/cluster'],
            ['api', '/api/cluster'],
          ]) {
            const rps = {};
            for (const [name, target] of Object.entries(targets)) {
              // The API is called with the key alone: a session would be ignored anyway.
              const headers =
                endpoint === 'api' ? { 'x-apikey': API_KEY } : { cookie: target.headers.cookie };
              rps[name] = await load(`${target.base}${route}`, name === 'app' ? headers : {});
            }
            rounds[endpoint].push(rps);
          }
        }
        result.sizes.push({
          size,
          rounds,
          statements: {
            page: await statementsPerRequest(app.base, `/administration/cluster`, { cookie }),
            api: await statementsPerRequest(app.base, `/api/cluster`, { 'x-apikey': API_KEY }),
          },
          pageBytes: await pageSize(`${app.base}/administration/cluster`, { cookie }),
          apiBytes: await pageSize(`${app.base}/api/cluster`, { 'x-apikey': API_KEY }),
        });
      } finally {
        floorDb.stop();
        floorMem.stop();
      }
    }
    result.heartbeat = await cpuPerHeartbeat(app, cookie);
  } finally {
    clearInterval(freshener);
    await app.stop();
    await db.drop();
  }
  return result;
}

/** Requests per second that `url` answers with 10 connections for SECONDS seconds. */
async function load(url, headers) {
  const result = await autocannon({ url, connections: 10, duration: SECONDS, headers });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return result.requests.average;
}

/** The node's statement count around 20 requests, less what the metrics scrape itself costs. */
async function statementsPerRequest(base, route, headers) {
  const scrape = async () =>
    counter(await (await fetch(`${base}/metrics`)).text(), 'cluster_database_statements_total');
  const a = await scrape();
  const b = await scrape();
  const scrapeCost = b - a;
  const requests = 20;
  for (let i = 0; i < requests; i += 1) await (await fetch(`${base}${route}`, { headers })).text();
  const c = await scrape();
  return (c - b - scrapeCost) / requests;
}

async function pageSize(url, headers) {
  const body = Buffer.from(await (await fetch(url, { headers })).arrayBuffer());
  return { plain: body.length, gzip: gzipSync(body).length };
}

/**
 * The primary's CPU per heartbeat at the largest size: heartbeat every second for 10 s, CPU time of the
 * node's process (utime + stime) over the heartbeats it wrote; and the health check's own mean duration.
 */
async function cpuPerHeartbeat(app, cookie) {
  const put = await fetch(`${app.base}/api/cluster/settings`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'x-apikey': API_KEY },
    body: JSON.stringify({
      loadBalancing: false,
      automaticFailover: true,
      heartbeatFrequencySeconds: 1,
      staleTimeoutSeconds: 60,
    }),
  });
  if (!put.ok) throw new Error(`settings: ${put.status} ${await put.text()}`);
  void cookie;
  await sleep(3_000);
  const metrics = async () => {
    const text = await (await fetch(`${app.base}/metrics`)).text();
    return {
      beats: counter(text, 'cluster_heartbeats_written_total{type="service"}'),
      checkSum: counter(text, 'cluster_health_check_duration_seconds_sum'),
      checks: counter(text, 'cluster_health_check_duration_seconds_count'),
    };
  };
  const before = await metrics();
  const cpuBefore = cpuMs(app.pid);
  await sleep(10_000);
  const cpuAfter = cpuMs(app.pid);
  const after = await metrics();
  const beats = after.beats - before.beats;
  return {
    servers: SIZES.at(-1),
    beats,
    cpuMsPerBeat: (cpuAfter - cpuBefore) / beats,
    checkMs: ((after.checkSum - before.checkSum) * 1000) / (after.checks - before.checks),
  };
}

/** Start to healthy, and resident memory after 3 s idle: the node on a 1,000-server SQLite database, and a bare NestJS + Prisma process. */
async function benchStartup() {
  const db = await createDatabase('sqlite');
  const keys = { encryption: randomBytes(32).toString('hex'), machine: randomBytes(32).toString('hex') };
  try {
    const first = await startApp(db, keys, 'bench-start');
    await first.stop();
    await db.seed(SIZES.at(-1) - 1, tokenMaker(keys));
    const app = [];
    const floor = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const node = await startApp(db, keys, 'bench-start');
      await sleep(3_000);
      app.push({ startMs: node.startMs, rssMb: rssMb(node.pid) });
      await node.stop();
      const bare = await startProcess(
        path.join(__dirname, 'floor-nest.js'),
        { DATABASE_URL: db.url },
        (base) => fetch(`${base}/`).then((r) => r.ok),
      );
      await sleep(3_000);
      floor.push({ startMs: bare.startMs, rssMb: rssMb(bare.pid) });
      await bare.stop();
    }
    return { app, floor };
  } finally {
    await db.drop();
  }
}

// ---- processes ----

async function startApp(db, keys, name) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cluster-bench-data-'));
  const node = await startProcess(
    path.join(ROOT, 'dist', 'main.js'),
    {
      DATABASE_URL: db.url,
      DATA_DIR: dataDir,
      ENCRYPTION_KEY: keys.encryption,
      MACHINE_KEY: keys.machine,
      API_KEY,
      ADMIN_PASSWORD: PASSWORD,
      LOG_LEVEL: 'error',
      CLUSTER_SERVER_NAME: name,
    },
    (base) => fetch(`${base}/health`).then((r) => r.ok),
  );
  const stop = node.stop;
  node.stop = async () => {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return node;
}

async function startFloor(db, source) {
  return startProcess(
    path.join(__dirname, 'floor.js'),
    { DATABASE_URL: db.url, FLOOR_SOURCE: source },
    (base) => fetch(`${base}/api/cluster`).then((r) => r.ok),
  );
}

/** Starts a Node.js script on a free port and waits until `ready` says yes; times it. */
async function startProcess(script, env, ready) {
  const port = (nextPort += 1);
  const started = performance.now();
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i += 1) {
    if (child.exitCode !== null) throw new Error(`${path.basename(script)} exited: ${stderr}`);
    if (await ready(base).catch(() => false)) break;
    if (i > 600) throw new Error(`${path.basename(script)} did not start: ${stderr}`);
    await sleep(10);
  }
  const startMs = performance.now() - started;
  return {
    base,
    pid: child.pid,
    startMs,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', resolve);
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}

async function signIn(base) {
  const login = await fetch(`${base}/login`);
  const cookies = login.headers.getSetCookie().map((c) => c.split(';')[0]);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await login.text())[1];
  const answer = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies.join('; ') },
    body: new URLSearchParams({ _csrf: csrf, username: 'Admin', password: PASSWORD }),
  });
  if (answer.status !== 303) throw new Error(`sign-in: ${answer.status}`);
  const jar = new Map(cookies.map((c) => c.split('=')));
  for (const c of answer.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const at = pair.indexOf('=');
    jar.set(pair.slice(0, at), pair.slice(at + 1));
  }
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}

// ---- databases ----

function tokenMaker(keys) {
  const ours = new KeyCrypto(
    new NodeKeys(Buffer.from(keys.encryption, 'hex'), Buffer.from(keys.machine, 'hex')),
  );
  const theirs = new KeyCrypto(new NodeKeys(randomBytes(32), randomBytes(32)));
  return (index) => (index % ODD_EVERY === ODD_EVERY - 1 ? theirs : ours);
}

/** Rows for servers `from`…`to`-1, each with a web and a service component, as their nodes would write them. */
function seedRows(from, to, cryptoFor, nowMs) {
  const servers = [];
  const components = [];
  for (let i = from; i < to; i += 1) {
    const id = randomUUID();
    const crypto = cryptoFor(i);
    servers.push([
      id,
      `seeded-${String(i).padStart(4, '0')}`,
      'Linux 6.1.0 (Debian GNU/Linux 12)',
      `10.0.${i >> 8}.${i & 255}`,
    ]);
    for (const type of ['web', 'service'])
      components.push([
        randomUUID(),
        id,
        type,
        '1.0.0',
        crypto.makeEncryptionToken(),
        type === 'web' ? crypto.makeMachineToken() : null,
        nowMs,
        nowMs,
      ]);
  }
  return { servers, components };
}

async function createDatabase(kind) {
  let seeded = 0;
  if (kind === 'sqlite') {
    const folder = mkdtempSync(path.join(tmpdir(), 'cluster-bench-'));
    const file = path.join(folder, 'cluster.db');
    const open = () => new Database(file, { timeout: 10_000 });
    return {
      url: `file:${file}`,
      async seed(total, cryptoFor) {
        const db = open();
        const { servers, components } = seedRows(seeded, total, cryptoFor, Date.now());
        const server = db.prepare(
          'INSERT INTO servers (id, name, os, ip_address, created_at) VALUES (?, ?, ?, ?, ?)',
        );
        const component = db.prepare(
          `INSERT INTO components (id, server_id, type, version, encryption_token, machine_token, added_manually,
             registered_at_ms, last_heartbeat_at_ms) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)`,
        );
        db.transaction(() => {
          for (const row of servers) server.run(...row, new Date().toISOString());
          for (const row of components) component.run(...row);
        })();
        db.close();
        seeded = Math.max(seeded, total);
      },
      async refreshHeartbeats() {
        const db = open();
        db.prepare(
          `UPDATE components SET last_heartbeat_at_ms = ? WHERE server_id IN (SELECT id FROM servers WHERE name LIKE 'seeded-%')`,
        ).run(Date.now());
        db.close();
      },
      async drop() {
        rmSync(folder, { recursive: true, force: true });
      },
    };
  }
  const base = new URL(process.env.TEST_DATABASE_URL);
  const name = `cluster_bench_${process.pid}_${Date.now().toString(36)}`;
  await withClient(base, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async seed(total, cryptoFor) {
      const { servers, components } = seedRows(seeded, total, cryptoFor, Date.now());
      await withClient(url, async (client) => {
        await client.query('BEGIN');
        for (const row of servers)
          await client.query(
            'INSERT INTO servers (id, name, os, ip_address, created_at) VALUES ($1, $2, $3, $4, now())',
            row,
          );
        for (const row of components)
          await client.query(
            `INSERT INTO components (id, server_id, type, version, encryption_token, machine_token, added_manually,
               registered_at_ms, last_heartbeat_at_ms) VALUES ($1, $2, $3, $4, $5, $6, false, $7, $8)`,
            row,
          );
        await client.query('COMMIT');
      });
      seeded = Math.max(seeded, total);
    },
    async refreshHeartbeats() {
      await withClient(url, (client) =>
        client.query(
          `UPDATE components SET last_heartbeat_at_ms = $1 WHERE server_id IN (SELECT id FROM servers WHERE name LIKE 'seeded-%')`,
          [Date.now()],
        ),
      );
    },
    async drop() {
      await withClient(base, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

async function withClient(url, work) {
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

// ---- reading and printing ----

function counter(text, name) {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : 0;
}

function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (100 Hz)
}

function rssMb(pid) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line.split(/\s+/)[1]) / 1024;
}

function spread(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], max: sorted.at(-1) };
}

function renderReport(report, startup) {
  const lines = [
    `# npm run bench — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${SECONDS} s × ${ROUNDS} rounds, 10 connections`,
    '',
    'Cost per request = 1 / throughput. Ratios: app ÷ floor, min / median / max of the rounds (1.0 = as cheap as the floor).',
    '',
  ];
  for (const { kind, sizes, heartbeat } of report) {
    const heads = sizes.map(({ size }) => `${size.toLocaleString('en')} server${size === 1 ? '' : 's'}`);
    lines.push(
      `## ${kind === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`,
      '',
      `| | ${heads.join(' | ')} |`,
      `| --- |${' --- |'.repeat(sizes.length)}`,
    );
    for (const endpoint of ['page', 'api']) {
      const label = endpoint === 'page' ? 'overview page' : '`GET /api/cluster`';
      for (const floor of ['floor-db', 'floor-mem']) {
        const cells = sizes.map(({ rounds }) => {
          const s = spread(rounds[endpoint].map((r) => r[floor] / r.app));
          return `${s.min.toFixed(2)} / **${s.median.toFixed(2)}** / ${s.max.toFixed(2)}`;
        });
        lines.push(`| ${label} ÷ ${floor} | ${cells.join(' | ')} |`);
      }
      const ms = sizes.map(({ rounds }) => {
        const app = spread(rounds[endpoint].map((r) => 1000 / r.app)).median;
        const floor = spread(rounds[endpoint].map((r) => 1000 / r['floor-db'])).median;
        return `${app.toFixed(2)} ms (floor-db ${floor.toFixed(2)} ms)`;
      });
      lines.push(`| ${label}: app, per request | ${ms.join(' | ')} |`);
      lines.push(
        `| ${label}: statements per request | ${sizes.map((s) => s.statements[endpoint].toFixed(1)).join(' | ')} |`,
      );
      const bytes = sizes.map(({ pageBytes, apiBytes }) => {
        const b = endpoint === 'page' ? pageBytes : apiBytes;
        return `${(b.plain / 1024).toFixed(0)} KB (gzip ${(b.gzip / 1024).toFixed(0)} KB)`;
      });
      lines.push(`| ${label}: size | ${bytes.join(' | ')} |`);
    }
    lines.push(
      '',
      `Primary at ${heartbeat.servers.toLocaleString('en')} servers, 1 s heartbeat: ${heartbeat.cpuMsPerBeat.toFixed(1)} ms of CPU per heartbeat ` +
        `(whole process, ${heartbeat.beats} heartbeats), health check ${heartbeat.checkMs.toFixed(1)} ms (mean duration).`,
      '',
    );
  }
  const app = {
    start: spread(startup.app.map((r) => r.startMs)),
    rss: spread(startup.app.map((r) => r.rssMb)),
  };
  const floor = {
    start: spread(startup.floor.map((r) => r.startMs)),
    rss: spread(startup.floor.map((r) => r.rssMb)),
  };
  lines.push(
    '## Start and memory (SQLite, 1,000 servers, medians of three starts)',
    '',
    '| | start to healthy | RSS after 3 s idle |',
    '| --- | --- | --- |',
    `| node (\`node dist/main.js\`) | ${app.start.median.toFixed(0)} ms | ${app.rss.median.toFixed(0)} MB |`,
    `| bare NestJS + Prisma client (bench/floor-nest.js) | ${floor.start.median.toFixed(0)} ms | ${floor.rss.median.toFixed(0)} MB |`,
    `| ratio | ${(app.start.median / floor.start.median).toFixed(2)} | ${(app.rss.median / floor.rss.median).toFixed(2)} |`,
    '',
  );
  return lines.join('\n');
}

function progress(text) {
  process.stderr.write(`bench: ${text}\n`);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
