import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { nameProblem } from '../../common/text-rules';
import { ConfigError } from './config-error';
import { loadSsoConfig, SSO_VARIABLES, SsoConfig } from './sso-config';

export type ComponentType = 'web' | 'service';
export type DatabaseKind = 'sqlite' | 'postgresql';
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/**
 * The node's configuration, validated once at boot so that a bad value stops the node with one clear line
 * before it touches the database. Nothing else reads process.env.
 */
export interface AppConfig {
  port: number;
  host: string;
  /**
   * poolSize: PostgreSQL connections this node keeps at most (DATABASE_POOL_SIZE); behind PgBouncer the
   * nodes together may open nodes × poolSize client connections, against its max_client_conn.
   */
  database: { kind: DatabaseKind; url: string; sqliteFile: string | null; poolSize: number };
  /** Where generated keys live: the SQLite file's folder, or ./data for PostgreSQL. */
  dataDir: string;
  serverName: string;
  components: ComponentType[];
  advertisedAddress: string;
  /** Undefined when not given: the key store then generates one into the data folder. */
  encryptionKeyHex: string | undefined;
  machineKeyHex: string | undefined;
  adminUsername: string;
  adminPassword: string | undefined;
  apiKey: string | undefined;
  /** Single sign-on through OpenID Connect (OIDC_ variables); null when not configured. */
  sso: SsoConfig | null;
  /** Whether people may sign in with a name and password (PASSWORD_SIGN_IN; off only with single sign-on). */
  passwordSignIn: boolean;
  logLevel: LogLevel;
  /**
   * Compiled templates are kept, whatever NODE_ENV says, except in the development watch mode
   * (NODE_ENV=development, as `npm run start:dev` sets it), where a changed template shows at once.
   */
  viewCache: boolean;
  /**
   * Which proxies may tell the client's address through X-Forwarded-For, in Express's "trust proxy" terms:
   * false (nobody: the default), a number of hops, or a list of addresses, subnets and the names loopback,
   * linklocal and uniquelocal. The login rate limit counts by that address.
   */
  trustProxy: boolean | number | string[];
  /** A session unused for this long ends (SESSION_IDLE_MINUTES); every session ends 8 hours after sign-in. */
  sessionIdleMs: number;
  /**
   * From SIGTERM, how long /health answers 503 ("stopping") while the node still serves, so that a load
   * balancer's checks take it out of rotation before it stops accepting (SHUTDOWN_GRACE_SECONDS). Longer
   * than a usual check interval times its fall count: HAProxy's defaults are 2 s × 3.
   */
  shutdownGraceMs: number;
  /** text: for a person at a terminal; json: one JSON object per line, for log collectors (LOG_FORMAT). */
  logFormat: 'text' | 'json';
  version: string;
}

export interface HostFacts {
  hostname: string;
  /** First non-internal IPv4 address, when the host has one. */
  firstExternalIpv4: string | undefined;
  version: string;
  cwd: string;
}

const hexKey = z
  .string()
  .regex(/^([0-9a-fA-F]{32}|[0-9a-fA-F]{64})$/, 'must be 32 or 64 hexadecimal characters');

const optional = (value: string | undefined) =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

const schema = z.object({
  PORT: z.coerce
    .number({ message: 'must be a whole number from 1 to 65535' })
    .int('must be a whole number from 1 to 65535')
    .min(1, 'must be a whole number from 1 to 65535')
    .max(65535, 'must be a whole number from 1 to 65535')
    .default(8624),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^(file:.+|postgres(ql)?:\/\/.+)$/, 'must start with file: (SQLite) or postgresql:// (PostgreSQL)')
    .default('file:./data/cluster.db'),
  CLUSTER_SERVER_NAME: z
    .string()
    .transform((value) => value.normalize('NFC').trim())
    .pipe(
      z
        .string()
        .max(100, 'must be at most 100 characters')
        .superRefine((value, ctx) => {
          const problem = nameProblem(value);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
    )
    .optional(),
  CLUSTER_COMPONENTS: z
    .string()
    .default('web,service')
    .transform((value, ctx) => {
      const parts = value
        .split(',')
        .map((part) => part.trim().toLowerCase())
        .filter(Boolean);
      const unknown = parts.filter((part) => part !== 'web' && part !== 'service');
      if (parts.length === 0 || unknown.length > 0) {
        ctx.addIssue({ code: 'custom', message: `must list web and/or service, got "${value}"` });
        return z.NEVER;
      }
      return [...new Set(parts)] as ComponentType[];
    }),
  CLUSTER_ADVERTISED_ADDRESS: z
    .union([z.ipv4(), z.ipv6()], { message: 'must be an IPv4 or IPv6 address' })
    .optional(),
  ENCRYPTION_KEY: hexKey.optional(),
  MACHINE_KEY: hexKey.optional(),
  ADMIN_USERNAME: z
    .string()
    .regex(/^[A-Za-z0-9._@-]{1,64}$/, 'must be 1 to 64 letters, digits or . _ @ -')
    .default('Admin'),
  ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  LOG_LEVEL: z
    .enum(['error', 'warn', 'info', 'debug'], { message: 'must be one of error, warn, info, debug' })
    .default('info'),
  NODE_ENV: z.string().optional(),
  LOG_FORMAT: z.enum(['text', 'json'], { message: 'must be text or json' }).default('text'),
  SESSION_IDLE_MINUTES: z.coerce
    .number({ message: 'must be a whole number of minutes from 1 to 480' })
    .int('must be a whole number of minutes from 1 to 480')
    .min(1, 'must be a whole number of minutes from 1 to 480')
    .max(480, 'must be a whole number of minutes from 1 to 480')
    .default(30),
  // At least 2: with one, the heartbeat and the lease would queue behind every page and API read.
  DATABASE_POOL_SIZE: z.coerce
    .number({ message: 'must be a whole number from 2 to 100' })
    .int('must be a whole number from 2 to 100')
    .min(2, 'must be a whole number from 2 to 100')
    .max(100, 'must be a whole number from 2 to 100')
    .default(5),
  SHUTDOWN_GRACE_SECONDS: z.coerce
    .number({ message: 'must be a whole number of seconds from 0 to 300' })
    .int('must be a whole number of seconds from 0 to 300')
    .min(0, 'must be a whole number of seconds from 0 to 300')
    .max(300, 'must be a whole number of seconds from 0 to 300')
    .default(10),
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((value, ctx): boolean | number | string[] => {
      const text = value.trim().toLowerCase();
      if (text === 'false') return false;
      if (text === 'true') return true;
      if (/^\d{1,2}$/.test(text)) return Number(text);
      const entries = value
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean);
      const wrong = entries.filter((entry) => !isProxyEntry(entry));
      if (entries.length === 0 || wrong.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `must be false, true, a number of hops, or addresses, subnets (10.0.0.0/8) and the names loopback, linklocal, uniquelocal, separated by commas; "${wrong[0] ?? value}" is none of these`,
        });
        return z.NEVER;
      }
      return entries;
    }),
});

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An address, a subnet (address/prefix) or one of Express's names for address ranges. */
function isProxyEntry(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [address, prefix, extra] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

const ECHOED = new Set([
  'PORT',
  'HOST',
  'CLUSTER_SERVER_NAME',
  'CLUSTER_COMPONENTS',
  'CLUSTER_ADVERTISED_ADDRESS',
  'ADMIN_USERNAME',
  'LOG_LEVEL',
  'SESSION_IDLE_MINUTES',
  'SHUTDOWN_GRACE_SECONDS',
  'LOG_FORMAT',
  'DATABASE_POOL_SIZE',
]);

/** Validates the environment into an AppConfig, or throws a ConfigError naming the first bad variable. */
export function loadAppConfig(env: NodeJS.ProcessEnv, host: HostFacts): AppConfig {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) input[key] = optional(env[key]);
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue.path[0]);
    const given = input[variable];
    // Only plain values are repeated back: keys, passwords and a database URL (which may hold one) are not.
    const shown = ECHOED.has(variable) ? ` (got "${given}")` : '';
    throw new ConfigError(variable, `${issue.message}${shown}`);
  }
  const values = parsed.data;
  const { sso, passwordSignIn } = loadSsoConfig(
    Object.fromEntries(SSO_VARIABLES.map((variable) => [variable, optional(env[variable])])),
  );
  const database = {
    ...parseDatabaseUrl(values.DATABASE_URL, host.cwd),
    poolSize: values.DATABASE_POOL_SIZE,
  };
  return {
    port: values.PORT,
    host: values.HOST,
    database,
    dataDir: database.sqliteFile ? dirname(database.sqliteFile) : resolve(host.cwd, 'data'),
    serverName: values.CLUSTER_SERVER_NAME ?? host.hostname,
    components: values.CLUSTER_COMPONENTS,
    advertisedAddress: values.CLUSTER_ADVERTISED_ADDRESS ?? host.firstExternalIpv4 ?? '127.0.0.1',
    encryptionKeyHex: values.ENCRYPTION_KEY?.toLowerCase(),
    machineKeyHex: values.MACHINE_KEY?.toLowerCase(),
    adminUsername: values.ADMIN_USERNAME,
    adminPassword: values.ADMIN_PASSWORD,
    apiKey: values.API_KEY,
    sso,
    passwordSignIn,
    logLevel: values.LOG_LEVEL,
    viewCache: values.NODE_ENV !== 'development',
    trustProxy: values.TRUST_PROXY,
    sessionIdleMs: values.SESSION_IDLE_MINUTES * 60_000,
    shutdownGraceMs: values.SHUTDOWN_GRACE_SECONDS * 1000,
    logFormat: values.LOG_FORMAT,
    version: host.version,
  };
}

function parseDatabaseUrl(url: string, cwd: string): Omit<AppConfig['database'], 'poolSize'> {
  if (url.startsWith('file:')) {
    const path = url.slice('file:'.length).split('?')[0];
    return { kind: 'sqlite', url, sqliteFile: resolve(cwd, path) };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
    if (!parsed.hostname || parsed.pathname.length <= 1) throw new Error('no host or database');
  } catch {
    throw new ConfigError(
      'DATABASE_URL',
      'must be postgresql://user@host:port/database (host and database name required)',
    );
  }
  // Prisma's ?schema= would be ignored by the nodes' own SQL, and a search_path in the startup packet is
  // refused by poolers: say so rather than use the wrong schema.
  if (parsed.searchParams.has('schema'))
    throw new ConfigError(
      'DATABASE_URL',
      "?schema= is not supported: give the cluster a database of its own, or set the role's search_path (ALTER ROLE … SET search_path = …)",
    );
  return { kind: 'postgresql', url, sqliteFile: null };
}
