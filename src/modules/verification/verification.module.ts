import { Global, Module } from '@nestjs/common';
import { KeyCrypto } from './key-crypto';

@Global()
@Module({ providers: [KeyCrypto], exports: [KeyCrypto] })
export class VerificationModule {}
