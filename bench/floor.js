#!/usr/bin/env node
// The floor that `npm run bench` measures the app against: a bare Express 5 app that renders the same
// Cluster Overview table with the same hbs templates (view cache on), and answers the same servers as JSON,
// without NestJS, sessions, CSRF, helmet, compression, metrics, key checks or roles. The app cannot be
// cheaper than this; the bench prints how far above it the app is.
//
//   FLOOR_SOURCE=db   one JOIN per request (better-sqlite3 on SQLite, pg on PostgreSQL): floor-db
//   FLOOR_SOURCE=mem  the same JOIN once at start, rows kept in memory: floor-mem
//   DATABASE_URL, PORT as for the app. Prints "listening" once it answers.
'use strict';
const express = require('express');
const hbs = require('hbs');
const { readdirSync, readFileSync } = require('node:fs');
const path = require('node:path');

const VIEWS = path.resolve(__dirname, '..', 'views');
const PER_PAGE = 50;
const STALE_AFTER_MS = 60_000;
const SEVERITY = { error: 0, warning: 1, ok: 2 };
const BADGES = {
  ok: { level: 'ok', symbol: '✔', label: 'OK' },
  warning: { level: 'warning', symbol: '⚠', label: 'Warning' },
  error: { level: 'error', symbol: '✖', label: 'Error' },
};

const JOIN = (now) => `
  SELECT n.now_ms, s.id AS server_id, s.name, s.os, s.ip_address, c.id, c.type, c.version,
    c.encryption_token, c.machine_token, c.last_heartbeat_at_ms
  FROM (SELECT ${now} AS now_ms) n
  LEFT JOIN servers s ON TRUE
  LEFT JOIN components c ON c.server_id = s.id
  ORDER BY s.name, c.type DESC`;

async function main() {
  const url = process.env.DATABASE_URL;
  const readRows = url.startsWith('file:') ? sqliteReader(url.slice(5)) : postgresReader(url);
  const source = process.env.FLOOR_SOURCE === 'mem' ? await memorised(readRows) : readRows;

  const app = express();
  app.set('views', VIEWS);
  app.set('view engine', 'hbs');
  app.set('view cache', true);
  app.set('view options', { layout: 'layouts/main' });
  for (const file of readdirSync(path.join(VIEWS, 'partials')).filter((name) => name.endsWith('.hbs')))
    hbs.registerPartial(file.replace(/\.hbs$/, ''), readFileSync(path.join(VIEWS, 'partials', file), 'utf8'));

  app.get('/administration/cluster', async (_request, response, next) => {
    try {
      const { nowMs, servers } = grouped(await source());
      servers.sort((a, b) => SEVERITY[a.status] - SEVERITY[b.status]);
      response.render('administration/cluster/index', pageModel(servers, nowMs));
    } catch (error) {
      next(error);
    }
  });
  app.get('/api/cluster', async (_request, response, next) => {
    try {
      const { servers } = grouped(await source());
      response.json({ serverCount: servers.length, servers });
    } catch (error) {
      next(error);
    }
  });
  app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('listening\n'));
}

function sqliteReader(file) {
  const Database = require('better-sqlite3');
  const statement = new Database(file, { readonly: true, timeout: 20 }).prepare(
    JOIN(`CAST(unixepoch('subsec') * 1000 AS INTEGER)`),
  );
  return async () => statement.all();
}

function postgresReader(url) {
  const { Pool } = require('pg');
  const pool = new Pool({ connectionString: url, max: 5 });
  const sql = JOIN('CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)');
  return async () => (await pool.query(sql)).rows;
}

async function memorised(readRows) {
  const rows = await readRows();
  return async () => rows;
}

/** Servers with their components and a status from the heartbeat alone (a live, verified cluster). */
function grouped(rows) {
  const nowMs = Number(rows[0].now_ms);
  const servers = [];
  for (const row of rows) {
    if (row.server_id === null) continue;
    let server = servers.at(-1);
    if (server?.id !== row.server_id) {
      server = {
        id: row.server_id,
        name: row.name,
        os: row.os,
        ipAddress: row.ip_address,
        status: 'ok',
        components: [],
      };
      servers.push(server);
    }
    const lastMs = row.last_heartbeat_at_ms === null ? null : Number(row.last_heartbeat_at_ms);
    const stale = lastMs === null || nowMs - lastMs > STALE_AFTER_MS;
    if (stale) server.status = 'warning';
    server.components.push({
      id: row.id,
      type: row.type,
      version: row.version,
      lastHeartbeatAt: lastMs === null ? null : new Date(lastMs).toISOString(),
      status: stale ? 'warning' : 'ok',
    });
  }
  return { nowMs, servers };
}

function pageModel(servers, nowMs) {
  const shown = servers.slice(0, PER_PAGE);
  return {
    title: 'Cluster Overview',
    currentUser: 'Admin',
    csrfToken: 'x'.repeat(129),
    checkedBy: { server: 'floor', version: '1.0.0' },
    summary: { text: `${servers.length} servers`, badge: BADGES.ok },
    legend: { warning: BADGES.warning, error: BADGES.error },
    configuration: {
      serverCount: servers.length,
      loadBalancing: 'Disabled',
      automaticFailover: 'Enabled',
      heartbeatFrequency: '10 seconds',
      staleTimeout: '1 minute',
      automaticFailoverOn: true,
      primaryServer: servers[0]?.name ?? null,
      primaryEpoch: 1,
      backupServers: servers
        .slice(1, 11)
        .map((server) => server.name)
        .join(', '),
      warnings: [],
    },
    recentEvents: [],
    listing: {
      text: servers.length > PER_PAGE ? `Showing 1–${PER_PAGE} of ${servers.length} servers.` : null,
      empty: 'No server has registered yet.',
      filterForm: servers.length >= 10,
      name: '',
      statusOptions: [{ value: 'all', label: 'All', selected: true }],
      pager:
        servers.length > PER_PAGE
          ? { page: 1, pages: Math.ceil(servers.length / PER_PAGE), next: '?page=2' }
          : null,
    },
    servers: shown.map((server) => ({
      name: server.name,
      os: server.os,
      ipAddress: server.ipAddress,
      badge: BADGES[server.status],
      clock: { text: 'in step with the database', warn: false, badge: BADGES.ok },
      components: server.components.map((component) => ({
        id: component.id,
        typeLabel: component.type === 'web' ? 'Web' : 'Service',
        badge: BADGES[component.status],
        role:
          component.type === 'web' ? null : { label: 'Backup', hint: 'takes over if the primary goes stale' },
        heartbeat: {
          relative:
            component.lastHeartbeatAt === null
              ? 'never'
              : relative(Date.parse(component.lastHeartbeatAt), nowMs),
          exact: component.lastHeartbeatAt,
          label: component.status === 'ok' ? 'Live' : 'Stale',
          badge: BADGES[component.status],
        },
        version: { text: component.version, label: 'In sync', badge: BADGES.ok },
        encryptionKey: { label: 'In sync', badge: BADGES.ok },
        machineKey: component.type === 'web' ? { label: 'In sync', badge: BADGES.ok } : null,
        duplicate: null,
      })),
    })),
  };
}

function relative(atMs, nowMs) {
  const seconds = Math.round((nowMs - atMs) / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} seconds ago`;
  return `${Math.round(seconds / 60)} minutes ago`;
}

main().catch((error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
