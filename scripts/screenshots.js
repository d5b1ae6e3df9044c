#!/usr/bin/env node
// npm run screenshots: starts a small local cluster of the built application (three nodes on a fresh SQLite
// file, 1 s heartbeats), brings it into known states and photographs the pages with Debian's Chromium into
// docs/screenshots/: a healthy cluster, one with problems (a stopped node, a node with another key), a
// failover in progress, a drained node, the events page, the Notifications page (an endpoint that receives
// the events and one that is offline), and the overview on a phone. The README shows them. One server is given
// an invented day of history (see writeHistory), so that its timeline has something to show.
'use strict';
const { spawn } = require('node:child_process');
const { createServer } = require('node:http');
const { randomBytes } = require('node:crypto');
const { mkdirSync, mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const Database = require('better-sqlite3');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'docs', 'screenshots');
const PASSWORD = 'screenshots-password-1';
const API_KEY = 'screenshots-api-key-0123';
const BASE_PORT = 18700 + Math.floor(Math.random() * 200);

async function main() {
  mkdirSync(OUT, { recursive: true });
  const folder = mkdtempSync(path.join(tmpdir(), 'cluster-screenshots-'));
  const keys = {
    ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    MACHINE_KEY: randomBytes(32).toString('hex'),
  };
  const database = `file:${path.join(folder, 'cluster.db')}`;
  const nodes = [];
  const receivers = [];
  const start = (name, index, extra = {}) => {
    const port = BASE_PORT + index;
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'main.js')], {
      env: {
        PATH: process.env.PATH,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: database,
        CLUSTER_SERVER_NAME: name,
        CLUSTER_ADVERTISED_ADDRESS: `10.0.0.${index + 10}`,
        ADMIN_PASSWORD: PASSWORD,
        API_KEY,
        LOG_LEVEL: 'error',
        ...keys,
        ...extra,
      },
      stdio: 'ignore',
    });
    const node = { name, child, base: `http://127.0.0.1:${port}` };
    nodes.push(node);
    return waitUntil(() => fetch(`${node.base}/health`).then((r) => r.ok), `${name} to start`).then(
      () => node,
    );
  };
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-sync'],
  });
  try {
    const first = await start('app-1', 1);
    const settings = await fetch(`${first.base}/api/cluster/settings`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-apikey': API_KEY },
      body: JSON.stringify({ heartbeatFrequencySeconds: 1, staleTimeoutSeconds: 3 }),
    });
    if (!settings.ok) throw new Error(`settings: ${settings.status}`);
    // A webhook endpoint in this process that accepts everything, and one nobody listens on.
    const receiver = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(204).end());
    });
    await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receivers.push(receiver);
    const hook = (name, url, events) =>
      api(first, 'POST', '/api/cluster/webhooks', {
        name,
        url,
        secret: randomBytes(16).toString('hex'),
        events,
      });
    await hook('On-call pager', `http://127.0.0.1:${receiver.address().port}/cluster-events`, [
      'component-stale',
      'component-recovered',
      'verification-failed',
      'primary-changed',
      'component-drained',
      'component-resumed',
    ]);
    await hook('Team chat (offline)', 'http://127.0.0.1:9/hooks/chat', ['primary-changed']);
    await start('app-2', 2);
    await start('app-3', 3);
    await sleep(2_500);
    writeHistory(database.slice('file:'.length));

    const page = await signedIn(browser, nodes[1].base, { width: 1280, height: 900 });
    await shoot(page, `${nodes[1].base}/administration/cluster`, 'overview-healthy.png');

    // Problems: app-3 stops answering (paused), a fourth node starts with another encryption key.
    const paused = nodes[2];
    paused.child.kill('SIGSTOP');
    await start('app-4', 4, { ENCRYPTION_KEY: randomBytes(32).toString('hex') });
    await sleep(4_500);
    await shoot(page, `${nodes[1].base}/administration/cluster`, 'overview-problems.png');
    paused.child.kill('SIGCONT');
    await sleep(2_000);

    // A failover in progress: the primary (app-1) is killed; its lease runs out and a backup takes over.
    nodes[0].child.kill('SIGKILL');
    await sleep(3_500);
    await shoot(page, `${nodes[1].base}/administration/cluster`, 'failover.png');
    await sleep(2_000);
    await shoot(page, `${nodes[1].base}/administration/cluster/events`, 'events.png');

    // app-2 is drained for maintenance: it hands the primary role over, or stays out of the running.
    const cluster = await (await api(nodes[1], 'GET', '/api/cluster')).json();
    const app2 = cluster.servers.find((server) => server.name === 'app-2');
    const service = app2.components.find((component) => component.type === 'service');
    await api(nodes[1], 'POST', `/api/cluster/components/${service.id}/drain`, {});
    await sleep(2_500);
    await shoot(page, `${nodes[1].base}/administration/cluster`, 'drained.png');
    await shoot(page, `${nodes[1].base}/administration/cluster/notifications`, 'notifications.png');

    const phone = await signedIn(browser, nodes[1].base, { width: 390, height: 844 });
    await shoot(phone, `${nodes[1].base}/administration/cluster`, 'overview-phone.png');
    process.stdout.write(`Screenshots written to ${path.relative(ROOT, OUT)}/\n`);
  } finally {
    for (const receiver of receivers) receiver.close();
    await browser.close();
    for (const node of nodes) node.child.kill('SIGKILL');
    rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * A cluster started a minute ago has no past: for the pictures of the timelines, app-3 is given an invented
 * day (registered 23 hours ago, stale twice since), written into the events table as its primary would have.
 */
function writeHistory(file) {
  const db = new Database(file, { timeout: 5_000 });
  const now = Date.now();
  const hour = 3_600_000;
  const insert = db.prepare(
    `INSERT INTO events (occurred_at_ms, kind, server_name, component_id, component_type, actor, epoch, message)
     VALUES (?, ?, 'app-3', ?, ?, NULL, 1, ?)`,
  );
  for (const { id, type } of db
    .prepare(
      `SELECT c.id, c.type FROM components c JOIN servers s ON s.id = c.server_id WHERE s.name = 'app-3'`,
    )
    .all()) {
    const name = `app-3: ${type} component`;
    insert.run(now - 23 * hour, 'component-registered', id, type, `${name} registered (version 1.4.0)`);
    if (type !== 'service') continue;
    insert.run(
      now - 15 * hour,
      'component-stale',
      id,
      type,
      `${name} became stale (no heartbeat for 3 seconds)`,
    );
    insert.run(now - 14.5 * hour, 'component-recovered', id, type, `${name} is live again`);
    insert.run(
      now - 6 * hour,
      'component-stale',
      id,
      type,
      `${name} became stale (no heartbeat for 3 seconds)`,
    );
    insert.run(now - 5.2 * hour, 'component-recovered', id, type, `${name} is live again`);
  }
  db.close();
}

async function signedIn(browser, base, viewport) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.getByLabel('User name').fill('Admin');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/administration`);
  return page;
}

async function shoot(page, url, file) {
  await page.goto(url);
  await page.screenshot({ path: path.join(OUT, file), fullPage: true });
  process.stdout.write(`  ${file}\n`);
}

async function waitUntil(check, what) {
  for (let i = 0; i < 300; i += 1) {
    if (await check().catch(() => false)) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A JSON API call with the API key; throws unless it succeeds. */
async function api(node, method, route, body) {
  const response = await fetch(`${node.base}${route}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-apikey': API_KEY },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
  return response;
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
