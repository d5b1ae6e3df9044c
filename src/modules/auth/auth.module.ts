import { MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { VerificationModule } from '../verification/verification.module';
import { AccountController } from './account.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { AccessGuard } from './access.guard';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { CsrfGuard } from './csrf.guard';
import { CsrfService } from './csrf.service';
import { LoginFailuresRepository } from './login-failures.repository';
import { LoginThrottle } from './login-throttle';
import { PasswordHasher } from './password-hasher';
import { SessionMiddleware } from './session.middleware';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';
import { SsoService } from './sso.service';
import { UsersController } from './users.controller';
import { UsersRepository } from './users.repository';
import { UsersService } from './users.service';
import { ViewLocalsMiddleware } from './view-locals.middleware';

@Module({
  imports: [VerificationModule],
  controllers: [AuthController, AccountController, UsersController],
  providers: [
    AuthService,
    CsrfService,
    PasswordHasher,
    UsersRepository,
    UsersService,
    ApiKeysRepository,
    ApiKeysService,
    SessionsRepository,
    SessionsService,
    SsoService,
    LoginThrottle,
    LoginFailuresRepository,
    // Order matters: who you are first, then whether the form is genuine.
    { provide: APP_GUARD, useClass: AccessGuard },
    { provide: APP_GUARD, useClass: CsrfGuard },
  ],
  exports: [AuthService, CsrfService],
})
export class AuthModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(SessionMiddleware, ViewLocalsMiddleware).forRoutes('*');
  }
}
