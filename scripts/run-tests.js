#!/usr/bin/env node
// `npm test`: every tier. First the twenty-node test alone, then two lanes that run side by side, each one
// test file at a time.
//
// The twenty-node test measures what forty idle nodes and their databases cost in CPU, against the fifth of a
// core that issue 21 allows each cluster. Beside another lane (Chromium, Jest workers, builds) the same work
// took a fifth more CPU time on these two cores (0.208 and 0.229 against 0.17-0.19 alone, measured on
// 2026-12-07), which measures the contention, not the cluster: so it runs with the machine to itself.
//
// The rest of the suite is mostly waiting: the cluster and topology tiers watch real processes heartbeat for
// minutes (the failover test's steady run alone is a minute per database kind). On two cores, one lane runs
// the cluster and topology tiers (the SQLite failover test among them) and then the rolling-upgrade tier
// (which builds the previous release once per machine); the other the unit, end-to-end and browser tiers,
// then the PostgreSQL failover test and a few more cluster files. Within a lane Jest runs in band, so no
// timing-sensitive file shares the machine with more than one other file. Extra arguments go to every Jest
// run (for example a test name pattern).
//
// Jest has no way to run two sets of projects side by side in one run, hence this script. It prints each
// lane's output as it finishes, and last one line with the totals ('Tests: N passed, N failed').
//
// A Jest run that has not ended after TEST_RUN_TIMEOUT_MINUTES (default 15; the longest run takes about 6)
// is killed with everything it started (its process group), and its output so far is printed with what
// was running in it then (ps) and the files it had not finished: a hang (a test file whose handles keep Jest from exiting, a child that never
// answers) fails the suite in minutes and names itself, instead of holding CI to its own limit in silence.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const jest = join(__dirname, '..', 'node_modules', 'jest', 'bin', 'jest.js');
const extra = process.argv.slice(2);
const results = mkdtempSync(join(tmpdir(), 'cluster-tests-'));
const timeoutMinutes = Number(process.env.TEST_RUN_TIMEOUT_MINUTES ?? 15);
if (!(timeoutMinutes > 0)) {
  process.stderr.write(
    `TEST_RUN_TIMEOUT_MINUTES must be a positive number of minutes, not "${process.env.TEST_RUN_TIMEOUT_MINUTES}"\n`,
  );
  process.exit(2);
}

// Cluster files that run in the second lane, after the browser tier, to even the lanes out. Measured on
// 2026-12-07 (a slower machine of the kind, the previous release built cold): lane 1 10.2 minutes, lane 2
// 14.9 with failover-sqlite (1.8) here, which now runs in the first lane.
const SECOND_LANE_CLUSTER_FILES = ['failover-postgresql', 'database-outage', 'clock-skew', 'sqlite-lock'];

/** Runs one after another, with nothing beside them, before the lanes start. */
const ALONE = [['--selectProjects', 'topology', '--testPathPatterns', 'twenty-nodes']];

const LANES = [
  [
    [
      '--selectProjects',
      'cluster',
      'topology',
      '--testPathIgnorePatterns',
      ...SECOND_LANE_CLUSTER_FILES,
      'twenty-nodes',
    ],
    ['--selectProjects', 'upgrade'],
  ],
  [
    ['--selectProjects', 'unit', 'e2e', 'browser'],
    ['--selectProjects', 'cluster', '--testPathPatterns', ...SECOND_LANE_CLUSTER_FILES],
  ],
];

function runJest(args, name) {
  const outputFile = join(results, `${name}.json`);
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [jest, '--runInBand', '--json', `--outputFile=${outputFile}`, ...args, ...extra],
      // Its own process group, so a timeout can end the nodes, servers and browsers its tests started.
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    const started = Date.now();
    let output = '';
    let timedOut = false;
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      output +=
        `\n!!!!! jest ${args.join(' ')} had not ended after ${timeoutMinutes} min: killed with its process group.\n` +
        `The files it ran are above (PASS/FAIL); the one that hung is among those it had not reported.\n` +
        `What was running in its process group:\n${processGroup(child.pid)}\n`;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMinutes * 60_000);
    running.add(child);
    let exitCode = null;
    let finished = false;
    // 'close' comes once the output pipes are drained; a grandchild outside the group that still holds
    // them open must not hold the run, hence the bound after 'exit'.
    child.on('exit', (code) => {
      exitCode = code;
      setTimeout(finish, 2000).unref();
    });
    child.on('close', (code) => {
      if (exitCode === null) exitCode = code;
      finish();
    });
    function finish() {
      if (finished) return;
      finished = true;
      running.delete(child);
      const code = exitCode;
      clearTimeout(timer);
      const minutes = ((Date.now() - started) / 60_000).toFixed(1);
      output += `(${minutes} min${timedOut ? ', timed out' : ''})\n`;
      let totals = { passed: 0, failed: 0, pending: 0, suitesFailed: 0, ran: false };
      try {
        const json = JSON.parse(readFileSync(outputFile, 'utf8'));
        totals = {
          passed: json.numPassedTests,
          failed: json.numFailedTests,
          pending: json.numPendingTests + json.numTodoTests,
          suitesFailed: json.numFailedTestSuites,
          ran: true,
        };
      } catch {
        // No results: Jest itself failed (the exit code says so).
      }
      resolve({ code: timedOut ? 'timeout' : code, output, totals, name });
    }
  });
}

function processGroup(pgid) {
  const ps = spawnSync('ps', ['-e', '-o', 'pgid=,pid=,ppid=,etime=,time=,rss=,args='], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (!ps.stdout) return ps.stderr || String(ps.error);
  const lines = ps.stdout.split('\n').filter((line) => line.trim().split(/\s+/)[0] === String(pgid));
  return ['PGID PID PPID ELAPSED CPU RSS COMMAND', ...lines].join('\n');
}

// Interrupted (Ctrl-C, CI's own stop): end the Jest runs' process groups too, which a terminal's signal
// does not reach since they are detached.
const running = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of running) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    process.exit(130);
  });
}

async function runLane(runs, lane) {
  const done = [];
  for (const [index, args] of runs.entries()) {
    const result = await runJest(args, `${lane.replace(' ', '')}-${index}`);
    process.stdout.write(`\n===== ${lane}, run ${index + 1}: jest ${args.join(' ')} =====\n${result.output}`);
    done.push(result);
  }
  return done;
}

runLane(ALONE, 'alone')
  .then((alone) =>
    Promise.all(LANES.map((runs, lane) => runLane(runs, `lane ${lane + 1}`))).then((lanes) => [
      alone,
      ...lanes,
    ]),
  )
  .then((lanes) => {
    const all = lanes.flat();
    rmSync(results, { recursive: true, force: true });
    const sum = (key) => all.reduce((total, result) => total + result.totals[key], 0);
    const failed = all.some((result) => result.code !== 0 || !result.totals.ran);
    if (sum('suitesFailed')) process.stdout.write(`\n${sum('suitesFailed')} test files failed (see above)\n`);
    const skipped = sum('pending') ? `, ${sum('pending')} skipped` : '';
    process.stdout.write(`\nTests: ${sum('passed')} passed, ${sum('failed')} failed${skipped}\n`);
    process.exit(failed ? 1 : 0);
  });
