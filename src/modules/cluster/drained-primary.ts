/**
 * What a drained primary does with its lease. It hands the lease over only when a backup will take it: a
 * component has the role "backup" only while automatic failover is on and it is live, eligible and not
 * drained. Otherwise it keeps the lease, so the cluster is never left without a primary by a drain.
 */
export type DrainedPrimaryLease = 'hands-over' | 'keeps-failover-disabled' | 'keeps-no-backup';

export function drainedPrimaryLease(automaticFailover: boolean, backupExists: boolean): DrainedPrimaryLease {
  if (!automaticFailover) return 'keeps-failover-disabled';
  return backupExists ? 'hands-over' : 'keeps-no-backup';
}
