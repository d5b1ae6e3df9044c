import { ConfigError } from '../environment/config-error';
import type { InstanceConflict } from './heartbeat.repository';

/** Another live process already runs under this server name: the node stops at start, as for bad configuration. */
export class DuplicateServerError extends ConfigError {
  constructor(serverName: string, conflict: InstanceConflict) {
    super(
      'CLUSTER_SERVER_NAME',
      `"${serverName}" is already used by another running process at ${conflict.address ?? 'an unknown address'} ` +
        `(its ${conflict.type} component reported ${(conflict.lastSeenMsAgo / 1000).toFixed(1)} s ago); ` +
        'give this node a name of its own, or stop the other process first',
    );
    this.name = 'DuplicateServerError';
  }
}
