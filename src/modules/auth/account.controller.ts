import { Body, Controller, Get, HttpStatus, Post, Render, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { plural } from '../../common/format';
import { validateForm } from '../../common/form-validation';
import { AuthService } from './auth.service';
import { commonPasswordProblem } from './common-passwords';
import { ChangePasswordDto } from './dto/change-password.dto';
import { LoginThrottle, userSubject } from './login-throttle';
import { sessionOf, setFlash, SignedInUser, signedInUser } from './session';
import { Requires, ROLE_POWERS } from './roles';
import { SessionsService } from './sessions.service';

/** The signed-in person's own account, whatever their role: change the password, sign out everywhere. */
@Requires('viewer')
@Controller('account')
export class AccountController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
    private readonly throttle: LoginThrottle,
  ) {}

  @Get()
  @Render('account')
  show(@Req() request: Request) {
    const user = signedInUser(request)!;
    return { title: 'Your account', username: user.username, rolePowers: ROLE_POWERS[user.role], errors: {} };
  }

  /**
   * A new password (12+ characters, not a common one, typed twice) after the current one; the user's other
   * sessions end on every node. Wrong current passwords count as failed sign-ins for the user name.
   */
  @Post('password')
  async changePassword(@Body() body: unknown, @Req() request: Request, @Res() response: Response) {
    const user = signedInUser(request)!;
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
      return response.status(status).render('account', {
        title: 'Your account',
        username: user.username,
        rolePowers: ROLE_POWERS[user.role],
        errors,
      });
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
}
