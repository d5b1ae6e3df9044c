import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module';
import { FailoverService } from './failover.service';
import { LeaseRepository } from './lease.repository';

@Module({
  imports: [MetricsModule],
  providers: [LeaseRepository, FailoverService],
  exports: [FailoverService, LeaseRepository],
})
export class FailoverModule {}
