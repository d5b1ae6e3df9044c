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

/** What one renew-or-acquire statement wrote, when it wrote anything. */
export interface LeaseGrant {
  epoch: number;
  previousHolder: string | null;
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
