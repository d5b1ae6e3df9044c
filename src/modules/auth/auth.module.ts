import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { VerificationModule } from '../verification/verification.module';
import { AdminGuard } from './admin.guard';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { CsrfGuard } from './csrf.guard';
import { CsrfService } from './csrf.service';
import { PasswordHasher } from './password-hasher';
import { UsersRepository } from './users.repository';
import { ViewLocalsMiddleware } from './view-locals.middleware';

@Module({
  imports: [VerificationModule],
  controllers: [AuthController],
  providers: [
    AuthService,
    CsrfService,
    PasswordHasher,
    UsersRepository,
    // Order matters: who you are first, then whether the form is genuine.
    { provide: APP_GUARD, useClass: AdminGuard },
    { provide: APP_GUARD, useClass: CsrfGuard },
  ],
  exports: [AuthService, CsrfService],
})
export class AuthModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ViewLocalsMiddleware).forRoutes('*');
  }
}
