import { Module } from '@nestjs/common';
import { KeyCrypto } from './key-crypto';
import { VerificationRepository } from './verification.repository';
import { VerificationService } from './verification.service';

@Module({
  providers: [KeyCrypto, VerificationRepository, VerificationService],
  exports: [KeyCrypto, VerificationService],
})
export class VerificationModule {}
