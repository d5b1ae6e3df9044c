import {
  Body,
  Controller,
  Get,
  HttpStatus,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Redirect,
  Render,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { plural } from '../../common/format';
import { validateForm } from '../../common/form-validation';
import { acceptForm, FormRejection, FormRejectionFilter, orReject } from '../../common/html-form';
import { PrismaService } from '../database/prisma.service';
import { accountPageModel, enteredKey, EMPTY_KEY_FORM } from './account-page.model';
import { ApiKeysService } from './api-keys.service';
import { CreateApiKeyDto } from './dto/api-key.dto';
import { UserChangeRefused } from './users.service';
import { AuthService } from './auth.service';
import { commonPasswordProblem } from './common-passwords';
import { ChangePasswordDto } from './dto/change-password.dto';
import { LoginThrottle, userSubject } from './login-throttle';
import { sessionOf, setFlash, SignedInUser, signedInUser } from './session';
import { Requires } from './roles';
import { SessionsService } from './sessions.service';

const KeyIdPipe = new ParseUUIDPipe({
  version: '4',
  exceptionFactory: () => new NotFoundException('You have no such API key.'),
});

/**
 * The signed-in person's own account, whatever their role: change the password, sign out everywhere, make
 * and revoke their API keys.
 */
@Requires('viewer')
@Controller('account')
@UseFilters(FormRejectionFilter)
export class AccountController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
    private readonly throttle: LoginThrottle,
    private readonly keys: ApiKeysService,
    private readonly prisma: PrismaService,
  ) {}

  @Get()
  @Render('account')
  show(@Req() request: Request) {
    return this.pageModel(request);
  }

  /** A new API key, shown once in this answer only (never in the session); only its hash is kept. */
  @Post('api-keys')
  async createKey(@Body() body: unknown, @Req() request: Request, @Res() response: Response) {
    const user = signedInUser(request)!;
    const values = enteredKey(body);
    const again = async (status: number, errors: Record<string, string>, formError?: string) =>
      new FormRejection(
        'account',
        status,
        await this.pageModel(request, { keyForm: { values, errors, formError } }),
      );
    const value = await acceptForm(CreateApiKeyDto, body, (errors) => again(HttpStatus.BAD_REQUEST, errors));
    const key = await orReject(this.keys.create(user, value.name, value.role), (error) =>
      error instanceof UserChangeRefused ? again(error.status, {}, error.message) : undefined,
    );
    response
      .status(HttpStatus.CREATED)
      .set('Cache-Control', 'no-store')
      .render(
        'account',
        await this.pageModel(request, { createdKey: { name: value.name, role: value.role, key } }),
      );
  }

  @Post('api-keys/:id/revoke')
  @Redirect('/account', 303)
  async revokeKey(@Param('id', KeyIdPipe) id: string, @Req() request: Request): Promise<void> {
    const name = await this.keys.revoke(signedInUser(request)!, id);
    if (name === null) throw new NotFoundException('You have no such API key.');
    setFlash(request, `Revoked the API key "${name}": every node refuses it from now on.`);
  }

  /**
   * A new password (12+ characters, not a common one, typed twice) after the current one; the user's other
   * sessions end on every node. Wrong current passwords count as failed sign-ins for the user name.
   */
  @Post('password')
  async changePassword(@Body() body: unknown, @Req() request: Request, @Res() response: Response) {
    const user = signedInUser(request)!;
    if (user.signIn !== 'password')
      return response.status(HttpStatus.CONFLICT).render(
        'account',
        await this.pageModel(request, {
          errors: {
            form: 'You sign in through single sign-on: your password is kept by the identity provider.',
          },
        }),
      );
    const form = validateForm(ChangePasswordDto, body);
    const errors: Record<string, string> = { ...form.errors };
    if (form.valid) {
      const { currentPassword, newPassword, confirmPassword } = form.value;
      const problem = commonPasswordProblem(newPassword, user.username);
      const subject = [userSubject(user.username)];
      const retryAfter = await this.throttle.retryAfterSeconds(subject);
      if (retryAfter > 0) {
        errors.form = `Too many wrong passwords for ${user.username}. Try again in ${plural(Math.ceil(retryAfter / 60), 'minute')}.`;
      } else if (problem) {
        errors.newPassword = `The new password ${problem}.`;
      } else if (confirmPassword !== newPassword) {
        errors.confirmPassword = 'The two new passwords differ.';
      } else if (!(await this.auth.verifyCredentials(user.username, currentPassword))) {
        await this.throttle.recordFailure(subject);
        errors.currentPassword = 'This is not your current password.';
      }
    }
    if (Object.keys(errors).length > 0) {
      const status = errors.form ? HttpStatus.TOO_MANY_REQUESTS : HttpStatus.BAD_REQUEST;
      return response.status(status).render('account', await this.pageModel(request, { errors }));
    }
    await this.auth.changePassword(user.id, form.value.newPassword);
    const ended = await this.sessions.endAllOf(user.id, sessionOf(request).token ?? null);
    setFlash(request, `Your password was changed; ${plural(ended, 'other session')} signed out.`);
    response.redirect(303, '/account');
  }

  /** Ends every session of this user, this one included, on every node. */
  @Post('sign-out-everywhere')
  async signOutEverywhere(@Req() request: Request, @Res() response: Response) {
    const user: SignedInUser = signedInUser(request)!;
    await this.sessions.endAllOf(user.id, null);
    (request as Request & { session: unknown }).session = null;
    response.redirect(303, '/login');
  }

  private async pageModel(request: Request, extras: Parameters<typeof accountPageModel>[3] = {}) {
    const user = signedInUser(request)!;
    const [keys, nowMs] = await Promise.all([this.keys.listOf(user.id), this.prisma.databaseNowMs()]);
    return accountPageModel(user, keys, nowMs, { keyForm: EMPTY_KEY_FORM, ...extras });
  }
}
