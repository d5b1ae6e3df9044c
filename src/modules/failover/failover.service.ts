import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../../common/clock';
import { errorSummary } from '../../common/error-summary';
import { MetricsService } from '../metrics/metrics.service';
import type { SettingsValues } from '../configuration/settings-rules';
import { compareVersions } from '../../common/versions';
import { Fence, LeaseLostError, LeaseRecord, PrimarySeen } from './lease';
import { LeaseRepository } from './lease.repository';

/**
 * A lease that expires this soon after now (its expiry as the heartbeat read it, less the time since the
 * answer arrived) is asked for anyway: the database has the last word, and a takeover must not wait a whole
 * period for the few milliseconds between the two statements.
 */
const EXPIRY_MARGIN_MS = 100;

/**
 * Whether the lease, as this period's heartbeat read it, is held by another component that the database
 * would not let `holder` take it from: with automatic failover, one whose lease has not expired by now
 * (`nowMs`, this node's monotonic clock); without it, any holder whose component still exists (only an
 * administrator's action moves the role then).
 */
export function heldElsewhere(
  holder: string,
  seen: PrimarySeen | null,
  automaticFailover: boolean,
  nowMs: number,
): boolean {
  if (!seen || seen.holder === holder || seen.version === null) return false;
  const leftMs = seen.expiresAtMs - seen.databaseNowMs - (nowMs - seen.answeredAtMs);
  return !automaticFailover || leftMs > EXPIRY_MARGIN_MS;
}

/** A change of holder this node won, for the health checker to record (fenced) as a "primary changed" event. */
export interface PrimaryChange {
  epoch: number;
  previousHolder: string | null;
  previousEpoch: number | null;
}

/**
 * This node's side of the primary election. Each heartbeat period the service component renews or
 * acquires the lease; between renewals it is primary only while its last successful renewal is recent
 * by its own monotonic clock: a primary that could not renew by start + timeout - margin stops its
 * primary-only work on its own, even with the database unreachable.
 */
@Injectable()
export class FailoverService {
  private readonly logger = new Logger(FailoverService.name);
  private holder: string | null = null;
  private epoch: number | null = null;
  /** Monotonic time taken before the last successful renewal's statement. */
  private renewedAtMs = Number.NEGATIVE_INFINITY;
  private validForMs = 0;
  private wasPrimary = false;
  private pendingChangeValue: PrimaryChange | null = null;
  private readonly renewedListeners: (() => void)[] = [];

  constructor(
    private readonly leases: LeaseRepository,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
  ) {}

  /**
   * One renewal (or takeover) attempt by the process `instanceId` for its service component `holder`;
   * returns whether this component is primary afterwards. With `mayAcquire` false (its encryption key is not
   * the cluster's) it only keeps a lease it already holds. A backup whose heartbeat has just seen the lease
   * held by another live component (`primarySeen`) asks nothing: the database would refuse it, and most
   * nodes of a cluster are backups, so this is most of the lease's cost (see heldElsewhere).
   */
  async renew(
    holder: string,
    settings: SettingsValues,
    process: {
      instanceId: string;
      mayAcquire: boolean;
      /** This node's release: see preemptable. */
      version?: string;
      /** The primary this period's heartbeat saw; null when not known (the heartbeat failed). */
      primarySeen?: PrimarySeen | null;
    },
  ): Promise<boolean> {
    const timeoutMs = settings.staleTimeoutSeconds * 1000;
    const startedAtMs = this.clock.monotonicMs();
    if (holder !== this.holder) {
      // This node's service component was removed and registered again under a new id: its lease is gone.
      if (this.epoch !== null) this.stepDown('this service component was removed and registered again');
      this.holder = holder;
      this.epoch = null;
    }
    const seen = process.primarySeen ?? null;
    const preempt = process.version ? this.preemptable(holder, process.version, seen) : null;
    if (
      this.epoch === null &&
      !preempt &&
      heldElsewhere(holder, seen, settings.automaticFailover, startedAtMs)
    )
      return false;
    let grant;
    try {
      grant = await this.leases.renewOrAcquire({
        holder,
        instanceId: process.instanceId,
        myEpoch: this.epoch,
        timeoutMs,
        automaticFailover: settings.automaticFailover,
        mayAcquire: process.mayAcquire,
        preempt,
      });
    } catch (error) {
      this.logger.warn(`could not renew the primary lease: ${errorSummary(error)}`);
      this.noticeExpiry();
      return this.isPrimary();
    }
    if (!grant) {
      if (this.epoch !== null) this.stepDown(`another service component holds the lease`);
      this.epoch = null;
      return false;
    }
    if (this.epoch !== null && grant.epoch < this.epoch) {
      // Epochs only grow: a lower one means the database lost writes (a replica promoted without them, a
      // restore). Whatever this node held is gone; it asks afresh at its next heartbeat.
      this.leaseLost(
        `the lease went backwards (epoch ${grant.epoch} after ${this.epoch}): the database lost writes`,
      );
      return false;
    }
    if (grant.epoch !== this.epoch) {
      this.pendingChangeValue = {
        epoch: grant.epoch,
        previousHolder: grant.previousHolder,
        previousEpoch: grant.previousEpoch,
      };
      if (grant.previousHolder !== null && grant.previousHolder !== holder) this.metrics.failovers.inc();
      this.logger.log(`this service component is now primary (epoch ${grant.epoch})`);
    } else if (!this.wasPrimary) {
      this.logger.log(`this service component is primary again (epoch ${grant.epoch}, unchanged)`);
    }
    this.epoch = grant.epoch;
    this.renewedAtMs = startedAtMs;
    // Stop before anyone else may take over: the database set the expiry after startedAtMs.
    this.validForMs = timeoutMs - Math.min(settings.heartbeatFrequencySeconds * 1000, timeoutMs / 3) / 2;
    this.wasPrimary = true;
    for (const listener of this.renewedListeners) listener();
    return true;
  }

  /**
   * `listener` runs after every successful renewal or takeover, that is, every heartbeat period while this
   * node is primary: work that runs on the primary only, on a timer of its own (webhook deliveries), starts
   * that timer from here and stops it once it finds no fence, so that a backup keeps no timer waking it.
   */
  whenRenewed(listener: () => void): void {
    this.renewedListeners.push(listener);
  }

  /**
   * During a rolling upgrade the primary role moves to the newest release: a node takes it over from a live
   * primary whose component runs an older release (by semantic version), so that scheduled work (the
   * health check, webhook deliveries, contract steps) runs the newest code from the moment it joins. The
   * takeover is the lease statement itself, fenced as any other, compare-and-set on the holder and epoch
   * seen: the older primary's next fenced write or renewal fails and it steps down; two newer nodes never
   * both win. The older primary may be a release before 1.6.0, which knows nothing of this and simply finds
   * its lease taken, as after a pause.
   */
  private preemptable(holder: string, version: string, seen: PrimarySeen | null): Fence | null {
    if (!seen || seen.holder === holder || seen.version === null) return null;
    return compareVersions(version, seen.version) > 0 ? { holder: seen.holder, epoch: seen.epoch } : null;
  }

  /** Primary right now, by this node's monotonic clock since its last successful renewal. */
  isPrimary(): boolean {
    return this.epoch !== null && this.clock.monotonicMs() < this.renewedAtMs + this.validForMs;
  }

  /** The lease as the database has it now (for the page: who is primary, under which epoch). */
  currentLease(): Promise<LeaseRecord> {
    return this.leases.findLease();
  }

  /**
   * Runs primary-only work while this node is primary, with the fence its writes must check and the change
   * of holder it has not recorded yet. The change counts as recorded once the work succeeded; a write the
   * database refused under a lost lease makes this node step down at once. Other errors are the caller's.
   */
  async runAsPrimary(work: (fence: Fence, change: PrimaryChange | null) => Promise<void>): Promise<void> {
    const fence = this.fence();
    if (!fence) return;
    const change = this.pendingChangeValue;
    try {
      await work(fence, change);
      if (change) this.changeRecorded(change.epoch);
    } catch (error) {
      if (!(error instanceof LeaseLostError)) throw error;
      this.fenceRejected(error.fence);
    }
  }

  /** The fence for primary-only writes, while primary. */
  fence(): Fence | null {
    return this.isPrimary() ? { holder: this.holder!, epoch: this.epoch! } : null;
  }

  /** The change of holder this node won and has not yet recorded; kept until changeRecorded(). */
  pendingChange(): PrimaryChange | null {
    return this.pendingChangeValue;
  }

  /** The health checker wrote the "primary changed" event for this epoch. */
  changeRecorded(epoch: number): void {
    if (this.pendingChangeValue?.epoch === epoch) this.pendingChangeValue = null;
  }

  /** `reason`: the lease is gone, whatever this node believed. */
  leaseLost(reason: string): void {
    this.stepDown(reason);
    this.epoch = null;
  }

  /**
   * A write fenced with `fence` was rejected: the lease has moved on since that fence was taken. Work that
   * runs beside the heartbeat (webhook deliveries) can learn this after a renewal won a newer epoch; a
   * rejection under an older epoch than the current one says nothing about the current one.
   */
  fenceRejected(fence: Fence): void {
    if (this.epoch !== fence.epoch || this.holder !== fence.holder) return;
    this.leaseLost('a primary-only write was rejected: the lease has moved on');
  }

  /**
   * Lets a backup take over at its next heartbeat: on a clean shutdown, or when this component may no
   * longer be primary (`reason` says why).
   */
  async release(reason = 'shutting down'): Promise<void> {
    const fence = this.fence();
    if (!fence) return;
    this.epoch = null;
    this.wasPrimary = false;
    await this.leases.release(fence);
    this.logger.log(`released the primary lease (epoch ${fence.epoch}): ${reason}`);
  }

  private noticeExpiry(): void {
    if (this.wasPrimary && !this.isPrimary()) this.stepDown('the lease could not be renewed in time');
  }

  private stepDown(reason: string): void {
    if (!this.wasPrimary) return;
    this.wasPrimary = false;
    this.logger.warn(`stepped down as primary: ${reason}`);
  }
}
