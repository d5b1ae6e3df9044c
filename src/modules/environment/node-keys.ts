import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig } from './app-config';
import { ConfigError } from './config-error';

/** This node's two secrets. They never leave the process: only tokens made with them are stored. */
export class NodeKeys {
  constructor(
    readonly encryptionKey: Buffer,
    readonly machineKey: Buffer,
  ) {}
}

export interface ResolvedKeys {
  keys: NodeKeys;
  /** Names of the variables that were not given and came from (or were written to) the data folder. */
  generated: string[];
  file: string;
}

const KEY_FILE = 'keys.json';

/**
 * Keys given in the environment win. Missing ones are generated once into <dataDir>/keys.json (readable by
 * the owner only), so that a single node works out of the box and processes sharing one data folder agree.
 * The exclusive create makes two processes starting at once end up with the same file.
 */
export function resolveNodeKeys(config: AppConfig): ResolvedKeys {
  const file = join(config.dataDir, KEY_FILE);
  const generated: string[] = [];
  let stored: { encryptionKey?: string; machineKey?: string } | undefined;
  const needStored = !config.encryptionKeyHex || !config.machineKeyHex;
  if (needStored) stored = readOrCreateKeyFile(config.dataDir, file);
  const encryptionHex = config.encryptionKeyHex ?? stored!.encryptionKey!;
  const machineHex = config.machineKeyHex ?? stored!.machineKey!;
  if (!config.encryptionKeyHex) generated.push('ENCRYPTION_KEY');
  if (!config.machineKeyHex) generated.push('MACHINE_KEY');
  return {
    keys: new NodeKeys(Buffer.from(encryptionHex, 'hex'), Buffer.from(machineHex, 'hex')),
    generated,
    file,
  };
}

function readOrCreateKeyFile(dataDir: string, file: string): { encryptionKey: string; machineKey: string } {
  mkdirSync(dataDir, { recursive: true });
  const fresh = {
    encryptionKey: randomBytes(32).toString('hex'),
    machineKey: randomBytes(32).toString('hex'),
  };
  try {
    writeFileSync(file, `${JSON.stringify(fresh, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
    return fresh;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new ConfigError(
      'ENCRYPTION_KEY',
      `not set, and ${file} is not readable JSON; set the keys or remove the file`,
    );
  }
  const keys = parsed as { encryptionKey?: unknown; machineKey?: unknown };
  for (const [name, value] of [
    ['ENCRYPTION_KEY', keys.encryptionKey],
    ['MACHINE_KEY', keys.machineKey],
  ] as const) {
    if (typeof value !== 'string' || !/^([0-9a-f]{32}|[0-9a-f]{64})$/i.test(value)) {
      throw new ConfigError(
        name,
        `not set, and ${file} holds no valid key for it; set it or remove the file`,
      );
    }
  }
  return keys as { encryptionKey: string; machineKey: string };
}
