import { UnauthorizedException } from '@nestjs/common';

/** A page asked for without a session: the exception filter redirects HTML requests to the login page. */
export class LoginRequiredException extends UnauthorizedException {
  constructor(readonly returnTo: string) {
    super('Sign in to continue.');
  }
}
