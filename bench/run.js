#!/usr/bin/env node
// npm run bench: how the Cluster Overview's cost grows with the size of the cluster. These machines are
// shared and noisy, so every figure is printed beside a baseline measured in the same run (GET /health,
// one trivial query) and as a ratio to it; nothing here passes or fails.
'use strict';
const { spawn } = require('node:child_process');
const { randomUUID } = require('node:crypto');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const path = require('node:path');
const Database = require('better-sqlite3');

const ROOT = path.resolve(__dirname, '..');
const API_KEY = 'bench-api-key-0123456789';
const REQUESTS = 200;

async function main() {
  const folder = mkdtempSync(path.join(tmpdir(), 'cluster-bench-'));
  const file = path.join(folder, 'cluster.db');
  const port = 18000 + Math.floor(Math.random() * 1000);
  const node = spawn(process.execPath, [path.join(ROOT, 'dist', 'main.js')], {
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: `file:${file}`,
      API_KEY,
      LOG_LEVEL: 'error',
      CLUSTER_SERVER_NAME: 'bench-node',
    },
    stdio: 'ignore',
  });
  try {
    const base = `http://127.0.0.1:${port}`;
    await waitForHealth(base);
    const results = [];
    results.push(['GET /health (baseline)', await measure(`${base}/health`)]);
    for (const servers of [1, 25, 100]) {
      seedServers(file, servers - 1);
      results.push([`GET /api/cluster, ${servers} server(s)`, await measure(`${base}/api/cluster`)]);
    }
    const baseline = results[0][1].median;
    process.stdout.write(
      `${REQUESTS} sequential requests each, one node on SQLite, median and 95th percentile:\n`,
    );
    for (const [name, { median, p95 }] of results) {
      process.stdout.write(
        `  ${name.padEnd(36)} median ${median.toFixed(2)} ms  p95 ${p95.toFixed(2)} ms  ×${(median / baseline).toFixed(1)} baseline\n`,
      );
    }
  } finally {
    node.kill('SIGKILL');
    rmSync(folder, { recursive: true, force: true });
  }
}

let seeded = 0;
/** Adds servers, each with a web and a service component, as other nodes would have registered them. */
function seedServers(file, total) {
  const db = new Database(file, { timeout: 10_000 });
  const now = Date.now();
  const insertServer = db.prepare(
    'INSERT INTO servers (id, name, os, ip_address, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const insertComponent = db.prepare(
    'INSERT INTO components (id, server_id, type, version, encryption_token, machine_token, added_manually, registered_at_ms, last_heartbeat_at_ms) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)',
  );
  db.transaction(() => {
    for (; seeded < total; seeded += 1) {
      const id = randomUUID();
      insertServer.run(
        id,
        `seeded-${String(seeded).padStart(3, '0')}`,
        'Linux',
        `10.0.${Math.floor(seeded / 250)}.${seeded % 250}`,
        new Date().toISOString(),
      );
      for (const type of ['web', 'service'])
        insertComponent.run(
          randomUUID(),
          id,
          type,
          '1.0.0',
          'not-a-token',
          type === 'web' ? 'not-a-token' : null,
          now,
          now,
        );
    }
  })();
  db.close();
}

async function measure(url) {
  const timings = [];
  for (let i = 0; i < 10; i += 1)
    await fetch(url, { headers: { 'X-ApiKey': API_KEY } }).then((r) => r.text());
  for (let i = 0; i < REQUESTS; i += 1) {
    const started = performance.now();
    const response = await fetch(url, { headers: { 'X-ApiKey': API_KEY } });
    await response.text();
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
    timings.push(performance.now() - started);
  }
  timings.sort((a, b) => a - b);
  return { median: timings[Math.floor(timings.length / 2)], p95: timings[Math.floor(timings.length * 0.95)] };
}

async function waitForHealth(base) {
  for (let i = 0; i < 300; i += 1) {
    try {
      if ((await fetch(`${base}/health`)).ok) return;
    } catch {
      // not yet listening
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the node did not start');
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
