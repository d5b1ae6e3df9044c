import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { compareVersions } from '../../src/common/versions';

const ROOT = join(__dirname, '..', '..');

export interface Release {
  version: string;
  commit: string;
}

/** The releases recorded in releases.json, oldest first. */
export function recordedReleases(): Release[] {
  const file = JSON.parse(readFileSync(join(ROOT, 'releases.json'), 'utf8')) as { releases: Release[] };
  return file.releases;
}

/** The release before this tree's version: what a rolling upgrade to this tree starts from. */
export function previousRelease(): Release {
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;
  const older = recordedReleases().filter((release) => compareVersions(release.version, version) < 0);
  if (older.length === 0) throw new Error('releases.json records no release before this one');
  return older[older.length - 1];
}

/** A built release: its main.js, to start nodes of it with ClusterNode ({ main }). */
export interface BuiltRelease extends Release {
  folder: string;
  main: string;
}

/**
 * Builds a release from git into a folder of the machine's cache (RELEASE_CACHE, or
 * ~/.cache/cluster-overview/releases), once per commit: the files of the commit (`git archive`), its
 * dependencies (this tree's node_modules when its package-lock.json is the same, else `npm ci`), and its
 * build (`npm run build`). Half-built folders are never used: the build happens beside, then moves in.
 */
export function buildRelease(release: Release): BuiltRelease {
  const cache = process.env.RELEASE_CACHE ?? join(homedir(), '.cache', 'cluster-overview', 'releases');
  const folder = join(cache, `${release.version}-${release.commit.slice(0, 12)}`);
  const built = { ...release, folder, main: join(folder, 'dist', 'main.js') };
  if (existsSync(join(folder, '.built'))) return built;
  if (!hasCommit(release.commit)) {
    // A shallow clone: try to fetch the history from where it came from (it fails quietly offline).
    for (const args of [
      ['fetch', '--quiet', '--unshallow'],
      ['fetch', '--quiet', 'origin', release.commit],
    ]) {
      try {
        execFileSync('git', args, { cwd: ROOT, stdio: 'ignore', timeout: 60_000 });
      } catch {
        // not reachable, or not shallow
      }
    }
  }
  if (!hasCommit(release.commit)) {
    throw new Error(
      `release ${release.version} (commit ${release.commit}) is not in this clone: fetch the full history (git fetch --unshallow) to build it`,
    );
  }
  const work = `${folder}.partial-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const archive = execFileSync('git', ['archive', '--format=tar', release.commit], {
    cwd: ROOT,
    maxBuffer: 256 * 1024 * 1024,
  });
  execFileSync('tar', ['-x', '-C', work], { input: archive });
  const sameLock =
    dependenciesOf(join(work, 'package-lock.json')) === dependenciesOf(join(ROOT, 'package-lock.json'));
  if (sameLock) symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'), 'dir');
  // Bounded: these run synchronously, so Jest's own timeouts cannot end them.
  else
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: work, stdio: 'ignore', timeout: 600_000 });
  execFileSync('npm', ['run', 'build'], { cwd: work, stdio: 'ignore', timeout: 300_000 });
  writeFileSync(join(work, '.built'), `${release.version} ${release.commit}\n`);
  rmSync(folder, { recursive: true, force: true });
  renameSync(work, folder);
  return built;
}

/**
 * A release that does not exist yet, for tests of what a later release may do: this tree's build under
 * another version, with more migrations (for example a contract step). Made in `folder`.
 */
export function nextRelease(
  folder: string,
  version: string,
  migrations: { name: string; sql: string }[],
): BuiltRelease {
  for (const part of ['dist', 'prisma', 'views', 'public']) {
    cpSync(join(ROOT, part), join(folder, part), { recursive: true });
  }
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ ...manifest, version }, null, 2));
  symlinkSync(join(ROOT, 'node_modules'), join(folder, 'node_modules'), 'dir');
  for (const kind of ['sqlite', 'postgresql']) {
    for (const migration of migrations) {
      writeFileSync(join(folder, 'prisma', 'migrations', kind, migration.name), migration.sql);
    }
  }
  return { version, commit: 'working tree', folder, main: join(folder, 'dist', 'main.js') };
}

/** A lock file's dependencies, without the package's own version (which every release changes). */
function dependenciesOf(lockFile: string): string {
  const lock = JSON.parse(readFileSync(lockFile, 'utf8')) as {
    version?: string;
    packages?: Record<string, { version?: string }>;
  };
  delete lock.version;
  if (lock.packages?.['']) delete lock.packages[''].version;
  return JSON.stringify(lock);
}

function hasCommit(commit: string): boolean {
  try {
    execFileSync('git', ['cat-file', '-e', `${commit}^{commit}`], { cwd: ROOT, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
