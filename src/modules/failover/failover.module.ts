import { Global, Module } from '@nestjs/common';
import { FailoverService } from './failover.service';
import { LeaseRepository } from './lease.repository';

@Global()
@Module({ providers: [LeaseRepository, FailoverService], exports: [LeaseRepository, FailoverService] })
export class FailoverModule {}
