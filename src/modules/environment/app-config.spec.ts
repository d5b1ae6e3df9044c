import { HostFacts, loadAppConfig } from './app-config';
import { ConfigError } from './config-error';

const host: HostFacts = {
  hostname: 'node-a',
  firstExternalIpv4: '10.0.0.5',
  version: '1.2.3',
  cwd: '/srv/app',
};
const KEY = '0123456789abcdef0123456789abcdef';

function errorFor(env: Record<string, string>): ConfigError {
  try {
    loadAppConfig(env, host);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadAppConfig', () => {
  it('fills the documented defaults', () => {
    const config = loadAppConfig({}, host);
    expect(config).toMatchObject({
      port: 8624,
      host: '0.0.0.0',
      database: { kind: 'sqlite', url: 'file:./data/cluster.db', sqliteFile: '/srv/app/data/cluster.db' },
      dataDir: '/srv/app/data',
      serverName: 'node-a',
      components: ['web', 'service'],
      advertisedAddress: '10.0.0.5',
      encryptionKeyHex: undefined,
      machineKeyHex: undefined,
      adminUsername: 'Admin',
      logLevel: 'info',
      viewCache: true,
      version: '1.2.3',
    });
  });

  it('refuses a server name that would deceive on the page, and normalizes the rest', () => {
    for (const name of ['\u200b\u200b', 'node-\u202e1', 'a\u2028b']) {
      expect(() => loadAppConfig({ CLUSTER_SERVER_NAME: name }, host)).toThrow(/^CLUSTER_SERVER_NAME: /);
    }
    expect(loadAppConfig({ CLUSTER_SERVER_NAME: ' Cafe\u0301 ' }, host).serverName).toBe('Café');
  });

  it("believes nobody's X-Forwarded-For unless TRUST_PROXY names the proxies", () => {
    expect(loadAppConfig({}, host).trustProxy).toBe(false);
    expect(loadAppConfig({ TRUST_PROXY: 'loopback' }, host).trustProxy).toEqual(['loopback']);
    expect(loadAppConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.5,::1' }, host).trustProxy).toEqual([
      '10.0.0.0/8',
      '192.168.1.5',
      '::1',
    ]);
    expect(loadAppConfig({ TRUST_PROXY: '2' }, host).trustProxy).toBe(2);
    expect(loadAppConfig({ TRUST_PROXY: 'true' }, host).trustProxy).toBe(true);
    for (const wrong of ['banana', '10.0.0.0/33', '10.0.0.1/8/2', 'loopback,,evil.example']) {
      expect(() => loadAppConfig({ TRUST_PROXY: wrong }, host)).toThrow(/^TRUST_PROXY: must be false, true/);
    }
  });

  it('keeps compiled templates whatever NODE_ENV is, except in the development watch mode', () => {
    expect(loadAppConfig({ NODE_ENV: 'production' }, host).viewCache).toBe(true);
    expect(loadAppConfig({ NODE_ENV: 'staging' }, host).viewCache).toBe(true);
    expect(loadAppConfig({ NODE_ENV: 'development' }, host).viewCache).toBe(false);
  });

  it('reads every variable it is given', () => {
    const config = loadAppConfig(
      {
        PORT: '9000',
        HOST: '127.0.0.1',
        DATABASE_URL: 'postgresql://app@db.example:5432/cluster',
        CLUSTER_SERVER_NAME: 'web-1',
        CLUSTER_COMPONENTS: 'service',
        CLUSTER_ADVERTISED_ADDRESS: '192.168.1.20',
        ENCRYPTION_KEY: KEY.toUpperCase(),
        MACHINE_KEY: KEY + KEY,
        ADMIN_USERNAME: 'root',
        ADMIN_PASSWORD: 'correct horse',
        API_KEY: 'a-long-enough-api-key',
        LOG_LEVEL: 'debug',
      },
      host,
    );
    expect(config).toMatchObject({
      port: 9000,
      host: '127.0.0.1',
      database: { kind: 'postgresql', sqliteFile: null },
      serverName: 'web-1',
      components: ['service'],
      advertisedAddress: '192.168.1.20',
      encryptionKeyHex: KEY,
      machineKeyHex: KEY + KEY,
      adminUsername: 'root',
      adminPassword: 'correct horse',
      apiKey: 'a-long-enough-api-key',
      logLevel: 'debug',
    });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '0'],
    ['PORT', '70000'],
    ['PORT', '80.5'],
    ['DATABASE_URL', 'mysql://localhost/db'],
    ['DATABASE_URL', 'postgresql://'],
    ['CLUSTER_COMPONENTS', 'web,worker'],
    ['CLUSTER_ADVERTISED_ADDRESS', 'not-an-ip'],
    ['ENCRYPTION_KEY', 'xyz'],
    ['ENCRYPTION_KEY', '0123456789abcdef'],
    ['MACHINE_KEY', `${KEY}0`],
    ['MACHINE_KEY', 'g'.repeat(32)],
    ['ADMIN_PASSWORD', 'short'],
    ['API_KEY', 'short'],
    ['LOG_LEVEL', 'loud'],
    ['LOG_FORMAT', 'xml'],
    ['SESSION_IDLE_MINUTES', '0'],
    ['SESSION_IDLE_MINUTES', 'forever'],
    ['SHUTDOWN_GRACE_SECONDS', '-1'],
    ['SHUTDOWN_GRACE_SECONDS', '301'],
    ['SHUTDOWN_GRACE_SECONDS', 'soon'],
    ['DATABASE_POOL_SIZE', '1'],
    ['DATABASE_POOL_SIZE', '101'],
    ['DATABASE_POOL_SIZE', 'many'],
    ['DATABASE_URL', 'postgresql://app@db.example:5432/cluster?schema=other'],
  ])('stops at a bad %s (%s) with a message naming it', (variable, value) => {
    const error = errorFor({ [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
  });

  it('says why ?schema= is refused, and what to do instead', () => {
    expect(errorFor({ DATABASE_URL: 'postgresql://app:pw@db.example/cluster?schema=x' }).message).toBe(
      "DATABASE_URL: ?schema= is not supported: give the cluster a database of its own, or set the role's search_path (ALTER ROLE … SET search_path = …)",
    );
  });

  it('keeps at most 5 PostgreSQL connections unless told otherwise', () => {
    expect(loadAppConfig({}, host).database.poolSize).toBe(5);
    expect(loadAppConfig({ DATABASE_POOL_SIZE: '20' }, host).database.poolSize).toBe(20);
    expect(errorFor({ DATABASE_POOL_SIZE: '1' }).message).toBe(
      'DATABASE_POOL_SIZE: must be a whole number from 2 to 100 (got "1")',
    );
  });

  it('keeps serving for 10 s after SIGTERM by default, as load balancers need', () => {
    expect(loadAppConfig({}, host).shutdownGraceMs).toBe(10_000);
    expect(loadAppConfig({ SHUTDOWN_GRACE_SECONDS: '0' }, host).shutdownGraceMs).toBe(0);
  });

  it('never repeats a bad key or password in its message', () => {
    expect(errorFor({ ENCRYPTION_KEY: 'secret-ish-value' }).message).not.toContain('secret-ish-value');
    expect(errorFor({ ADMIN_PASSWORD: 'short' }).message).not.toContain('short"');
    expect(errorFor({ DATABASE_URL: 'postgres:/user:secret@db/cluster' }).message).not.toContain('secret');
  });

  it('treats empty values as not set', () => {
    expect(loadAppConfig({ PORT: '', MACHINE_KEY: ' ' }, host)).toMatchObject({
      port: 8624,
      machineKeyHex: undefined,
    });
  });

  it('falls back to the loopback address when the host has no external IPv4', () => {
    expect(loadAppConfig({}, { ...host, firstExternalIpv4: undefined }).advertisedAddress).toBe('127.0.0.1');
  });
});
