import { Injectable } from '@nestjs/common';
import { KeyCrypto } from './key-crypto';
import { VerificationRepository } from './verification.repository';

/**
 * Whether this node's encryption key is the cluster's. The first primary of a cluster (or of a cluster
 * upgraded from a release without it) records a key check made with its own encryption key: the key it
 * has been storing secrets with is the cluster's. From then on a node whose key does not open it never
 * becomes primary, so a single misconfigured node can never capture the lease, however many nodes are down.
 */
@Injectable()
export class VerificationService {
  /** The key check as last read, and whether this node's key opens it (decrypted once per value). */
  private known: { check: string | null; eligible: boolean } | null = null;

  constructor(
    private readonly repository: VerificationRepository,
    private readonly crypto: KeyCrypto,
  ) {}

  /** Eligible to be primary: the key check opens with this node's key, or the cluster has none yet. */
  async isEligible(): Promise<boolean> {
    return this.eligibleFor(await this.repository.findClusterKeyCheck());
  }

  /** As isEligible, for the key check as a heartbeat's answer carried it (no statement of its own). */
  eligibleFor(check: string | null): boolean {
    if (this.known?.check !== check) {
      this.known = { check, eligible: check === null || this.crypto.opensEncryptionToken(check) };
    }
    return this.known.eligible;
  }

  /** As of the last isEligible(): the cluster has its key check. */
  clusterKeyRecorded(): boolean {
    return this.known !== null && this.known.check !== null;
  }

  /** Records the cluster's key check with this node's key, unless one exists. */
  async recordClusterKeyIfUnset(): Promise<void> {
    await this.repository.recordClusterKeyCheckIfUnset(this.crypto.makeEncryptionToken());
  }
}
