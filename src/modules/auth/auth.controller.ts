import { Body, Controller, Get, HttpStatus, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { Clock } from '../../common/clock';
import { validateForm } from '../../common/form-validation';
import { controlCharacterProblem } from '../../common/text-rules';
import { AuthService } from './auth.service';
import { CsrfService } from './csrf.service';
import { LoginDto } from './dto/login.dto';
import { Public } from './public.decorator';
import { SESSION_LIFETIME_MS, sessionOf, signedInUser } from './session';

/** Only local paths are followed after sign-in, so the login page cannot be used to send people elsewhere. */
/** A path on this site to go back to after signing in; anything else (another site, control characters) goes home. */
export function safeReturnTo(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])/.test(value) && controlCharacterProblem(value) === null
    ? value
    : '/administration';
}

@Controller()
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly csrf: CsrfService,
    private readonly clock: Clock,
  ) {}

  @Public()
  @Get('login')
  showLogin(@Req() request: Request, @Res() response: Response, @Query('returnTo') returnTo?: string): void {
    if (signedInUser(request, this.clock.now().getTime()))
      return response.redirect(303, safeReturnTo(returnTo));
    response.render('login', {
      title: 'Sign in',
      csrfToken: this.csrf.token(request, response),
      returnTo: safeReturnTo(returnTo),
      values: {},
      errors: {},
    });
  }

  @Public()
  @Post('login')
  async login(@Body() body: unknown, @Req() request: Request, @Res() response: Response): Promise<void> {
    const form = validateForm(LoginDto, body);
    const user = form.valid
      ? await this.auth.verifyCredentials(form.value.username, form.value.password)
      : null;
    if (!user) {
      response.status(form.valid ? HttpStatus.UNAUTHORIZED : HttpStatus.BAD_REQUEST).render('login', {
        title: 'Sign in',
        csrfToken: this.csrf.token(request, response),
        returnTo: safeReturnTo(form.value.returnTo),
        // What was refused is not shown again (a control character has no place in the page either).
        values: {
          username:
            typeof form.value.username === 'string' && !form.errors.username ? form.value.username : '',
        },
        errors: form.valid
          ? { form: 'Wrong user name or password.' }
          : { ...form.errors, form: form.errors.returnTo },
      });
      return;
    }
    // A fresh session id on sign-in, so a session fixed before it is worth nothing after.
    Object.assign(sessionOf(request), {
      sid: randomUUID(),
      userId: user.id,
      username: user.username,
      expiresAtMs: this.clock.now().getTime() + SESSION_LIFETIME_MS,
    });
    response.redirect(303, safeReturnTo(form.value.returnTo));
  }

  @Post('logout')
  logout(@Req() request: Request, @Res() response: Response): void {
    (request as Request & { session: unknown }).session = null;
    response.redirect(303, '/login');
  }
}
