/** Proof of holding the primary role: fenced writes succeed only while the lease still has this holder and epoch. */
export interface Fence {
  holder: string;
  epoch: number;
}

export interface LeaseRecord {
  holder: string | null;
  epoch: number;
  expiresAtMs: number;
  acquiredAtMs: number;
  previousHolder: string | null;
}

/** One renew-or-acquire attempt by one process for its service component. */
export interface LeaseRequest {
  holder: string;
  /** The process that runs the component: only it may hold the lease for it. */
  instanceId: string;
  myEpoch: number | null;
  timeoutMs: number;
  automaticFailover: boolean;
  /** False: renew a lease already held, never take one (the component is ineligible). */
  mayAcquire: boolean;
  /**
   * Take the lease from this holder at this epoch even though it has not expired: it runs an older
   * release than this node (see FailoverService.renew). Compare-and-set: if the lease changed meanwhile,
   * nothing is taken.
   */
  preempt?: Fence | null;
}

/** The primary as the last heartbeat saw it. */
export interface PrimarySeen extends Fence {
  /** The release its component runs; null when the holder's row is gone. */
  version: string | null;
  /** When the lease expires, and the database's time when the heartbeat read it (both by the database's clock). */
  expiresAtMs: number;
  databaseNowMs: number;
  /** This node's monotonic clock when the heartbeat's answer arrived: how old the news is by now. */
  answeredAtMs: number;
}

/** What one renew-or-acquire statement wrote, when it wrote anything. */
export interface LeaseGrant {
  epoch: number;
  previousHolder: string | null;
  /** The epoch before this change of holder (null: not known, as after an older release's takeover). */
  previousEpoch: number | null;
}

/** A primary-only write was refused because the lease has another holder or epoch, or has expired. */
export class LeaseLostError extends Error {
  constructor(readonly fence: Fence) {
    super(
      `the primary lease (epoch ${fence.epoch}) is no longer held by this component; the write was rejected`,
    );
    this.name = 'LeaseLostError';
  }
}
