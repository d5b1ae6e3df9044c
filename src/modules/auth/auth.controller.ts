import { Body, Controller, Get, HttpStatus, Inject, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { validateForm } from '../../common/form-validation';
import { controlCharacterProblem } from '../../common/text-rules';
import type { AppConfig } from '../environment/app-config';
import { APP_CONFIG } from '../environment/environment.tokens';
import { AuthService } from './auth.service';
import { CsrfService } from './csrf.service';
import { LoginDto } from './dto/login.dto';
import { addressSubject, LoginThrottle, userSubject } from './login-throttle';
import { plural } from '../../common/format';
import { Public } from './public.decorator';
import { Requires } from './roles';
import { sessionOf, signedInUser } from './session';
import { SessionsService } from './sessions.service';
import { SsoRefused, SsoService } from './sso.service';

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
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly auth: AuthService,
    private readonly csrf: CsrfService,
    private readonly sessions: SessionsService,
    private readonly throttle: LoginThrottle,
    private readonly sso: SsoService,
  ) {}

  /** What the login page offers: the password form (unless PASSWORD_SIGN_IN=off), single sign-on. */
  private loginPage(request: Request, response: Response, returnTo: string) {
    return {
      title: 'Sign in',
      csrfToken: this.csrf.token(request, response),
      returnTo,
      passwordSignIn: this.config.passwordSignIn,
      ssoUrl: this.sso.enabled ? `/login/sso?returnTo=${encodeURIComponent(returnTo)}` : null,
    };
  }

  @Public()
  @Get('login')
  showLogin(@Req() request: Request, @Res() response: Response, @Query('returnTo') returnTo?: string): void {
    if (signedInUser(request)) return response.redirect(303, safeReturnTo(returnTo));
    response.render('login', {
      ...this.loginPage(request, response, safeReturnTo(returnTo)),
      values: {},
      errors: {},
    });
  }

  @Public()
  @Post('login')
  async login(@Body() body: unknown, @Req() request: Request, @Res() response: Response): Promise<void> {
    if (!this.config.passwordSignIn) {
      response.status(HttpStatus.FORBIDDEN).render('errors/error', {
        title: 'Password sign-in is off',
        status: HttpStatus.FORBIDDEN,
        message: 'This cluster signs people in through single sign-on only (PASSWORD_SIGN_IN=off).',
        action: { href: '/login', label: 'Sign in with single sign-on' },
      });
      return;
    }
    const form = validateForm(LoginDto, body);
    const subjects = [addressSubject(request.ip), ...(form.valid ? [userSubject(form.value.username)] : [])];
    const retryAfter = await this.throttle.retryAfterSeconds(subjects);
    if (retryAfter > 0) {
      const minutes = Math.ceil(retryAfter / 60);
      response
        .status(HttpStatus.TOO_MANY_REQUESTS)
        .set('Retry-After', String(retryAfter))
        .render('errors/error', {
          title: 'Too many attempts',
          status: HttpStatus.TOO_MANY_REQUESTS,
          message: `Too many failed sign-in attempts for this user or from your address. Try again in ${plural(minutes, 'minute')}.`,
        });
      return;
    }
    const user = form.valid
      ? await this.auth.verifyCredentials(form.value.username, form.value.password)
      : null;
    if (form.valid) {
      if (user) await this.throttle.forget(userSubject(form.value.username));
      else await this.throttle.recordFailure(subjects);
    }
    if (!user) {
      response.status(form.valid ? HttpStatus.UNAUTHORIZED : HttpStatus.BAD_REQUEST).render('login', {
        ...this.loginPage(request, response, safeReturnTo(form.value.returnTo)),
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
    await this.startSession(request, user.id);
    response.redirect(303, safeReturnTo(form.value.returnTo));
  }

  /** Off to the identity provider, with a new state, nonce and PKCE verifier kept in this browser's cookie. */
  @Public()
  @Get('login/sso')
  async startSso(
    @Req() request: Request,
    @Res() response: Response,
    @Query('returnTo') returnTo?: string,
  ): Promise<void> {
    try {
      const { url, transaction } = await this.sso.begin(safeReturnTo(returnTo));
      sessionOf(request).sso = transaction;
      response.redirect(303, url);
    } catch (error) {
      this.refuseSso(error, response);
    }
  }

  /** Back from the identity provider: checked, signed in with the role the groups give, or told why not. */
  @Public()
  @Get('login/sso/callback')
  async finishSso(@Req() request: Request, @Res() response: Response): Promise<void> {
    const session = sessionOf(request);
    // Once only: a second use of the same answer finds no sign-in under way.
    const transaction = session.sso;
    delete session.sso;
    try {
      const user = await this.sso.finish(new URL(request.originalUrl, 'http://callback').search, transaction);
      await this.startSession(request, user.userId);
      response.redirect(303, transaction!.returnTo);
    } catch (error) {
      this.refuseSso(error, response);
    }
  }

  private refuseSso(error: unknown, response: Response): void {
    if (!(error instanceof SsoRefused)) throw error;
    response.status(error.status).render('errors/error', {
      title: error.title,
      status: error.status,
      message: error.message,
      action: this.sso.enabled ? { href: '/login', label: 'Back to sign-in' } : undefined,
    });
  }

  /**
   * A fresh CSRF binding and a new server-side session on sign-in, so a session fixed before it is worth
   * nothing after; a session this browser had before ends.
   */
  private async startSession(request: Request, userId: string): Promise<void> {
    const session = sessionOf(request);
    if (session.token) await this.sessions.end(session.token);
    Object.assign(session, { sid: randomUUID(), token: await this.sessions.start(userId) });
  }

  /** Ends the session on every node at once (its record goes), and forgets the cookie. */
  @Requires('viewer')
  @Post('logout')
  async logout(@Req() request: Request, @Res() response: Response): Promise<void> {
    const token = sessionOf(request).token;
    if (token) await this.sessions.end(token);
    (request as Request & { session: unknown }).session = null;
    response.redirect(303, '/login');
  }
}
