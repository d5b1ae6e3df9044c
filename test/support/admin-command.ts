import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ADMIN = join(__dirname, '..', '..', 'dist', 'admin.js');

/** `npm run admin -- …` as an operator runs it: the built command, in a process of its own. */
export function admin(databaseUrl: string, ...args: string[]) {
  const run = spawnSync(process.execPath, [ADMIN, ...args], {
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: run.status, out: run.stdout, err: run.stderr };
}
