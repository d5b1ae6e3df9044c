import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import * as oidc from 'openid-client';
import { Clock } from '../../common/clock';
import { errorSummary } from '../../common/error-summary';
import { nameProblem, normalizeName } from '../../common/text-rules';
import type { AppConfig } from '../environment/app-config';
import { APP_CONFIG } from '../environment/environment.tokens';
import { isLoopbackHost, roleForGroups, SsoConfig } from '../environment/sso-config';
import { ROLE_POWERS, Role } from './roles';
import { ROLES_SINCE, UsersRepository } from './users.repository';

/**
 * A sign-in at the provider under way, kept in the signed session cookie between the two requests: the
 * answer must carry this state and an ID token with this nonce, and the code is exchanged with this PKCE
 * verifier (which never leaves this browser and this cluster).
 */
export interface SsoTransaction {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
  startedAtMs: number;
}

/** A sign-in at the provider must come back within this time. */
export const SSO_TRANSACTION_MS = 10 * 60_000;

/** The actor of the events that a sign-in through the provider causes (a user made, a role changed). */
export const SSO_ACTOR = 'single sign-on';

/** Why a person was not signed in: the page to show, with its status (never a 500 for what they sent). */
export class SsoRefused extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Single sign-on with an OpenID Connect provider, through openid-client (a certified relying party): the
 * authorization code flow with PKCE (S256), state and nonce, the ID token's signature checked against the
 * provider's published keys. The person's groups (OIDC_GROUPS_CLAIM) give their role at every sign-in
 * (OIDC_ROLE_MAPPING); a person in no mapped group is refused.
 */
@Injectable()
export class SsoService {
  private readonly logger = new Logger(SsoService.name);
  /** The provider's metadata, read once; forgotten when reading it failed, so the next sign-in tries again. */
  private discovery: Promise<oidc.Configuration> | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly users: UsersRepository,
    private readonly clock: Clock,
  ) {}

  get enabled(): boolean {
    return this.config.sso !== null;
  }

  /** Where to send the browser to sign in, and what its answer must match. */
  async begin(returnTo: string): Promise<{ url: string; transaction: SsoTransaction }> {
    const sso = this.settings();
    const configuration = await this.configuration(sso);
    const verifier = oidc.randomPKCECodeVerifier();
    const transaction: SsoTransaction = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier,
      returnTo,
      startedAtMs: this.clock.now().getTime(),
    };
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: sso.redirectUrl.href,
      scope: sso.scopes,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: transaction.state,
      nonce: transaction.nonce,
    });
    return { url: url.href, transaction };
  }

  /**
   * The provider's answer (the query of the callback): the code is exchanged, the ID token checked, and the
   * person's user record found or made with the role their groups give. The user's id, or SsoRefused.
   */
  async finish(
    query: string,
    transaction: SsoTransaction | undefined,
  ): Promise<{ userId: string; username: string; role: Role }> {
    const sso = this.settings();
    if (!transaction || this.clock.now().getTime() - transaction.startedAtMs > SSO_TRANSACTION_MS)
      throw new SsoRefused(
        HttpStatus.BAD_REQUEST,
        'Sign-in not started here',
        'This answer from the identity provider belongs to no sign-in under way in this browser (it was ' +
          'used already, or took longer than 10 minutes). Start again.',
      );
    const configuration = await this.configuration(sso);
    // The address the provider sent the browser to, as configured (not as the Host header says: behind a
    // load balancer the node sees its own address), with the provider's answer.
    const callback = new URL(sso.redirectUrl.href);
    callback.search = query;
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(configuration, callback, {
        pkceCodeVerifier: transaction.verifier,
        expectedState: transaction.state,
        expectedNonce: transaction.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      throw this.refusal(error);
    }
    const claims = tokens.claims()!;
    const person = await this.personFrom(sso, configuration, claims, tokens.access_token);
    const result = await this.users.signInFromDirectory(person, {
      added: {
        kind: 'user-added',
        actor: SSO_ACTOR,
        message: `Added the user "${person.username}" as ${person.role} (${ROLE_POWERS[person.role]}), signed in through single sign-on.`,
      },
      roleChanged: (previous) => ({
        kind: 'user-role-changed',
        actor: SSO_ACTOR,
        message: `"${person.username}" is now ${person.role} (was ${previous}): the directory's groups say so.`,
      }),
    });
    switch (result.refused) {
      case null:
        return { userId: result.id, username: person.username, role: person.role };
      case 'taken':
        throw new SsoRefused(
          HttpStatus.CONFLICT,
          'Name in use',
          `There is a user "${person.username}" here already who is not you in the identity provider (a ` +
            'user who signs in with a password, or another person of the directory). An administrator ' +
            'can remove that user, so that you sign in as yourself.',
        );
      case 'older-release-live':
        throw new SsoRefused(
          HttpStatus.CONFLICT,
          'Upgrade under way',
          `Single sign-on waits while a node of release ${result.live.join(', ')} is running: releases ` +
            `before ${ROLES_SINCE} know no roles. Sign in again when the upgrade is finished.`,
        );
      default:
        throw new Error(`unexpected refusal ${result.refused}`);
    }
  }

  /** Who the provider says this is: the name claim, and the role of their groups (or a refusal). */
  private async personFrom(
    sso: SsoConfig,
    configuration: oidc.Configuration,
    idClaims: oidc.IDToken,
    accessToken: string,
  ) {
    let claims: Record<string, unknown> = idClaims;
    // Many providers put the groups (or the name) in the ID token only when asked to; the UserInfo
    // endpoint, for the same subject, has them.
    if (
      (claims[sso.groupsClaim] === undefined || claims[sso.usernameClaim] === undefined) &&
      configuration.serverMetadata().userinfo_endpoint
    ) {
      try {
        const info = await oidc.fetchUserInfo(configuration, accessToken, idClaims.sub);
        claims = { ...info, ...idClaims };
      } catch (error) {
        throw this.refusal(error);
      }
    }
    const name = normalizeName(claims[sso.usernameClaim]);
    if (typeof name !== 'string' || name === '')
      throw new SsoRefused(
        HttpStatus.FORBIDDEN,
        'No user name',
        `The identity provider sent no "${sso.usernameClaim}" claim to name you by (OIDC_USERNAME_CLAIM). ` +
          'Ask an administrator to set the claim that carries user names.',
      );
    const problem = name.length > 64 ? 'must be at most 64 characters' : nameProblem(name);
    if (problem)
      throw new SsoRefused(
        HttpStatus.FORBIDDEN,
        'User name not usable',
        `The user name the identity provider sent (${sso.usernameClaim}) cannot be used here: it ${problem}.`,
      );
    const raw = claims[sso.groupsClaim];
    const groups = Array.isArray(raw)
      ? raw.filter((group): group is string => typeof group === 'string')
      : typeof raw === 'string'
        ? [raw]
        : [];
    const role = roleForGroups(sso.roleMapping, groups);
    if (role === null)
      throw new SsoRefused(
        HttpStatus.FORBIDDEN,
        'No access',
        `The identity provider signed you in as "${name}", but you are in no group that may use this ` +
          'cluster. Ask an administrator to add you to one of its groups.',
      );
    return { subject: `${idClaims.iss} ${idClaims.sub}`, username: name, role };
  }

  /** What went wrong with the provider's answer, for the person (the details go to the log). */
  private refusal(error: unknown): SsoRefused {
    if (error instanceof oidc.AuthorizationResponseError) {
      // The provider refused (the person cancelled, or may not use this client): say what it said.
      return new SsoRefused(
        HttpStatus.FORBIDDEN,
        'Not signed in',
        `The identity provider did not sign you in: ${error.error_description ?? error.error}.`,
      );
    }
    this.logger.warn(`single sign-on failed: ${errorSummary(error)}`);
    if (error instanceof oidc.ResponseBodyError || error instanceof TypeError || isNetworkError(error))
      return new SsoRefused(
        HttpStatus.BAD_GATEWAY,
        'Identity provider not answering',
        'The identity provider could not be reached or gave an answer that cannot be used. Try again in a ' +
          'moment; if it goes on, an administrator finds the reason in the log.',
      );
    return new SsoRefused(
      HttpStatus.BAD_REQUEST,
      'Sign-in refused',
      'The answer from the identity provider did not pass the checks (state, nonce, ID token or its ' +
        'signature). Start again; if it goes on, an administrator finds the reason in the log.',
    );
  }

  private settings(): SsoConfig {
    if (!this.config.sso)
      throw new SsoRefused(HttpStatus.NOT_FOUND, 'Not found', 'Single sign-on is not set up.');
    return this.config.sso;
  }

  private configuration(sso: SsoConfig): Promise<oidc.Configuration> {
    if (!this.discovery) {
      this.discovery = this.discover(sso);
      this.discovery.catch(() => {
        this.discovery = null;
      });
    }
    return this.discovery;
  }

  private async discover(sso: SsoConfig): Promise<oidc.Configuration> {
    try {
      // http only for a provider on this machine (sso-config refuses it elsewhere).
      const insecure = isLoopbackHost(sso.issuerUrl.hostname) ? [oidc.allowInsecureRequests] : [];
      const discovered = await oidc.discovery(sso.issuerUrl, sso.clientId, sso.clientSecret, undefined, {
        execute: insecure,
        timeout: 10,
      });
      // The client authenticates as OpenID Connect's default, client_secret_basic, unless the provider says
      // it takes only client_secret_post.
      const metadata = discovered.serverMetadata();
      const methods = metadata.token_endpoint_auth_methods_supported;
      const post =
        methods && !methods.includes('client_secret_basic') && methods.includes('client_secret_post');
      const configuration = new oidc.Configuration(
        metadata,
        sso.clientId,
        sso.clientSecret,
        post ? oidc.ClientSecretPost(sso.clientSecret) : oidc.ClientSecretBasic(sso.clientSecret),
      );
      for (const setting of insecure) setting(configuration);
      configuration.timeout = 10;
      // The ID token's signature is checked against the provider's keys (jwks_uri), not only its claims.
      oidc.enableNonRepudiationChecks(configuration);
      return configuration;
    } catch (error) {
      this.logger.warn(
        `could not read the identity provider's metadata at ${sso.issuerUrl.href}: ${errorSummary(error)}`,
      );
      throw new SsoRefused(
        HttpStatus.BAD_GATEWAY,
        'Identity provider not answering',
        'The identity provider could not be reached. Try again in a moment; if it goes on, an administrator ' +
          'finds the reason in the log.',
      );
    }
  }
}

function isNetworkError(error: unknown): boolean {
  const text = errorSummary(error);
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|fetch failed|aborted|timeout/i.test(text);
}
