import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { AppConfig } from '../configuration/app-config';
import { APP_CONFIG } from '../configuration/configuration.tokens';
import type { ProcessInstance } from '../servers/servers.repository';

/**
 * Who this process is: a fresh id at every start, where it can be reached, its host and process id; and
 * whether a process id on this host still runs. Behind a class so that tests can play other processes.
 */
@Injectable()
export class ProcessIdentity {
  readonly instance: ProcessInstance;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.instance = {
      id: randomUUID(),
      address: `${config.advertisedAddress}:${config.port}`,
      host: hostname(),
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
