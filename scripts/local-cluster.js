#!/usr/bin/env node
// npm run cluster -- --nodes 3 [--base-port 8624] [--database-url URL]
// Starts several nodes of the built application on one database, on this machine, for demos: ports
// from --base-port up, names node-1…node-N, and one set of keys for all (generated once into the data
// folder, or ENCRYPTION_KEY/MACHINE_KEY from the environment). Ctrl-C stops them all.
'use strict';
const { spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { existsSync, mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { parseArgs } = require('node:util');

const root = path.resolve(__dirname, '..');
const usage = 'usage: npm run cluster -- --nodes N (1 to 20) [--base-port PORT] [--database-url URL]';

function fail(message) {
  process.stderr.write(`${message}\n${usage}\n`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      nodes: { type: 'string', default: '3' },
      'base-port': { type: 'string', default: '8624' },
      'database-url': { type: 'string', default: 'file:./data/local-cluster/cluster.db' },
    },
  }));
} catch (error) {
  fail(error.message);
}
const count = Number(values.nodes);
const basePort = Number(values['base-port']);
if (!Number.isInteger(count) || count < 1 || count > 20)
  fail(`--nodes: must be a whole number from 1 to 20, got "${values.nodes}"`);
if (!Number.isInteger(basePort) || basePort < 1 || basePort + count - 1 > 65535)
  fail(`--base-port: must leave room for ${count} ports below 65536`);
const databaseUrl = values['database-url'];

// One key file for the whole local cluster, so every node has the same keys (as a real cluster must).
const keyFolder = path.join(root, 'data', 'local-cluster');
mkdirSync(keyFolder, { recursive: true });
const keyFile = path.join(keyFolder, 'keys.json');
if (!existsSync(keyFile)) {
  const keys = {
    encryptionKey: randomBytes(32).toString('hex'),
    machineKey: randomBytes(32).toString('hex'),
  };
  writeFileSync(keyFile, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
}
const keys = JSON.parse(readFileSync(keyFile, 'utf8'));

const main = path.join(root, 'dist', 'main.js');
if (!existsSync(main))
  fail('dist/main.js is missing: run `npm run build` first (npm run cluster does it for you).');

const children = [];
let stopping = false;
for (let index = 1; index <= count; index += 1) {
  const name = `node-${index}`;
  const port = basePort + index - 1;
  const child = spawn(process.execPath, [main], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORT: String(port),
      HOST: process.env.HOST ?? '127.0.0.1',
      DATABASE_URL: databaseUrl,
      CLUSTER_SERVER_NAME: name,
      CLUSTER_ADVERTISED_ADDRESS: '127.0.0.1',
      ENCRYPTION_KEY: process.env.ENCRYPTION_KEY ?? keys.encryptionKey,
      MACHINE_KEY: process.env.MACHINE_KEY ?? keys.machineKey,
    },
  });
  const prefix = `[${name} :${port}] `;
  const forward = (stream) => (chunk) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) stream.write(`${prefix}${line}\n`);
  };
  child.stdout.on('data', forward(process.stdout));
  child.stderr.on('data', forward(process.stderr));
  child.on('exit', (code, signal) => {
    process.stdout.write(`${prefix}exited (${signal ?? `code ${code}`})\n`);
    if (!stopping && children.every((other) => other.exitCode !== null || other.signalCode !== null))
      process.exit(1);
  });
  children.push(child);
}

process.stdout.write(
  `Started ${count} node(s) on ${databaseUrl}:\n` +
    children
      .map(
        (child, index) =>
          `  node-${index + 1}: http://127.0.0.1:${basePort + index}/administration/cluster (pid ${child.pid})`,
      )
      .join('\n') +
    '\nThis cluster has a database of its own: the administrator password that `npm start` printed does not work' +
    '\nhere; use the one a node of it prints at its first start (in its output), or set ADMIN_PASSWORD first.' +
    '\nCtrl-C stops them all. To watch a failover, stop one with `kill -9 <pid>` and reload the page of another.\n',
);

function stopAll() {
  if (stopping) return;
  stopping = true;
  process.stdout.write('Stopping all nodes…\n');
  // SIGINT: a node stops without the grace period it keeps for load balancers at SIGTERM.
  for (const child of children) if (child.exitCode === null) child.kill('SIGINT');
  const deadline = setTimeout(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }, 10_000);
  deadline.unref();
  Promise.all(
    children.map((child) =>
      child.exitCode !== null ? null : new Promise((resolve) => child.once('exit', resolve)),
    ),
  ).then(() => process.exit(0));
}
process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);
