import { Module } from '@nestjs/common';
import { MetricsService } from './metrics.service';

/** The node's Prometheus registry and counters: a leaf that every module may count into. */
@Module({ providers: [MetricsService], exports: [MetricsService] })
export class MetricsModule {}
