import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type { AppConfig } from '../environment/app-config';
import { APP_CONFIG } from '../environment/environment.tokens';
import type { ProcessInstance } from './heartbeat.repository';

/**
 * Who this process is: a fresh id at every start, where it can be reached, and the process id space it
 * lives in; and whether a process id in that space still runs. Behind a class so that tests can play
 * other processes.
 */
@Injectable()
export class ProcessIdentity {
  readonly instance: ProcessInstance;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.instance = {
      id: randomUUID(),
      address: `${config.advertisedAddress}:${config.port}`,
      host: processSpace(),
      pid: process.pid,
    };
  }

  /** Signal 0 checks that a process exists without touching it; EPERM means it exists but is not ours. */
  isRunningHere(pid: number): boolean {
    if (pid === this.instance.pid) return true;
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
}

/**
 * Where a process id means something: the host name alone is not enough (containers on one machine with
 * host networking, or a copied configuration, share it, and each may be pid 1), so on Linux the kernel's
 * boot id and the process id namespace are part of it. Two processes with the same value really share one
 * process table; anywhere else (null) no process id is trusted and only the stale timeout decides.
 */
function processSpace(): string | null {
  try {
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const pidNamespace = readlinkSync('/proc/self/ns/pid');
    return `${hostname()} ${bootId} ${pidNamespace}`;
  } catch {
    return null;
  }
}
