import { Inject, Injectable, Logger } from '@nestjs/common';
import { join } from 'node:path';
import { compareVersions } from '../../common/versions';
import { MigrationFile, MIGRATIONS_ROOT, readMigrationFiles } from '../database/migration-files';
import { SchemaTooNewError } from '../database/schema-too-new.error';
import type { AppConfig } from '../environment/app-config';
import { APP_CONFIG } from '../environment/environment.tokens';
import type { Fence } from '../failover/lease';
import { UpgradeRepository } from './upgrade.repository';

/**
 * A node's part in a rolling upgrade (docs/upgrades.md): it notes its release as it joins, refuses a
 * schema that a newer release has contracted, and, as the primary, runs the contract steps of its release
 * once no node of an older release has been live for the stale timeout.
 */
@Injectable()
export class UpgradeService {
  private readonly logger = new Logger(UpgradeService.name);
  private readonly files: MigrationFile[];
  /** Contract steps this code has that the database has not run; known after joinCluster. */
  private pending: MigrationFile[] = [];
  private waitingFor: string | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repository: UpgradeRepository,
  ) {
    this.files = readMigrationFiles(join(MIGRATIONS_ROOT, config.database.kind));
  }

  /**
   * Once this node has registered (so that a contracting primary sees it live from now on): notes that its
   * release runs, and reads the ledger under the migration lock. A contract step it does not know that
   * committed before its registration is seen here, and the node stops with SchemaTooNewError; one that
   * comes after has seen the registration and waits.
   */
  async joinCluster(): Promise<void> {
    await this.repository.recordSighting(this.config.version);
    const ledger = await this.repository.readLedgerLocked();
    const known = new Set(this.files.map((file) => file.name));
    const unknown = ledger.find((row) => row.phase === 'contract' && !known.has(row.name));
    if (unknown) throw new SchemaTooNewError(this.config.version, unknown.release ?? 'unknown', unknown.name);
    const done = new Set(ledger.map((row) => row.name));
    this.pending = this.files.filter((file) => file.phase === 'contract' && !done.has(file.name));
  }

  /** On the primary, every heartbeat period: the next contract step, when no older release is live. */
  async runDueContracts(fence: Fence): Promise<void> {
    const file = this.pending[0];
    if (!file) return;
    const outcome = await this.repository.runContract(
      fence,
      file,
      (other) => compareVersions(other, this.config.version) < 0,
      {
        kind: 'schema-contracted',
        serverName: this.config.serverName,
        message: `${this.config.serverName} ran the contract step ${file.name} of release ${file.release}: no node of an older release has been live for the stale timeout, and older releases can no longer start on this database`,
      },
    );
    if (outcome.ran || outcome.reason === 'already-run') {
      if (outcome.ran) this.logger.log(`ran the contract step ${file.name} (release ${file.release})`);
      this.pending.shift();
      this.waitingFor = null;
      return;
    }
    const waiting = outcome.live.join(', ');
    if (waiting !== this.waitingFor) {
      this.logger.log(`the contract step ${file.name} waits: nodes of release ${waiting} are live`);
      this.waitingFor = waiting;
    }
  }
}
