// The barest heartbeat there is, as a baseline for what a cluster at rest costs on this machine: one process
// with one connection of its own that sends one single-row UPDATE a second, and nothing else. The
// twenty-node test runs twenty of these against the same server before the nodes start, and measures them
// as it measures the nodes (test/topology/twenty-nodes.topology-spec.ts).
//
// node heartbeat-floor.mjs <database url> <row id>; the test makes the table heartbeat_floor (id, beat_at_ms)
// first. Prints "ready" once its row is there.
import pg from 'pg';

const [url, id] = process.argv.slice(2);
const client = new pg.Client({ connectionString: url });
await client.connect();
await client.query('INSERT INTO heartbeat_floor VALUES ($1, 0) ON CONFLICT (id) DO NOTHING', [Number(id)]);
process.stdout.write('ready\n');
const beat = () =>
  client
    .query('UPDATE heartbeat_floor SET beat_at_ms = $2 WHERE id = $1', [Number(id), Date.now()])
    .catch((error) => process.stderr.write(`${error.message}\n`));
// Spread over the second, as the nodes' jittered heartbeats are.
setTimeout(() => setInterval(beat, 1000), Math.random() * 1000);
process.on('SIGTERM', () => client.end().finally(() => process.exit(0)));
