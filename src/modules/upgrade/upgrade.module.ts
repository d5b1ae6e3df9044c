import { Module } from '@nestjs/common';
import { UpgradeRepository } from './upgrade.repository';
import { UpgradeService } from './upgrade.service';

/** Rolling upgrades: release sightings, the schema check at join, and the primary's contract steps. */
@Module({
  providers: [UpgradeService, UpgradeRepository],
  exports: [UpgradeService],
})
export class UpgradeModule {}
