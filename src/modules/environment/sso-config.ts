import { isIP } from 'node:net';
import { isRole, Role, ROLES } from '../auth/roles';
import { ConfigError } from './config-error';

/** The path the identity provider sends people back to; OIDC_REDIRECT_URL must end with it. */
export const SSO_CALLBACK_PATH = '/login/sso/callback';

/** Single sign-on through an OpenID Connect provider (README, "Single sign-on"); null when not configured. */
export interface SsoConfig {
  issuerUrl: URL;
  clientId: string;
  clientSecret: string;
  /** This cluster's callback as the browser reaches it (through the load balancer): …/login/sso/callback. */
  redirectUrl: URL;
  /** Highest role first: a person in groups of several roles gets the highest. */
  roleMapping: { role: Role; groups: string[] }[];
  groupsClaim: string;
  usernameClaim: string;
  scopes: string;
}

/** The variables this file reads, as loadAppConfig hands them over (trimmed, undefined when empty). */
export const SSO_VARIABLES = [
  'OIDC_ISSUER_URL',
  'OIDC_CLIENT_ID',
  'OIDC_CLIENT_SECRET',
  'OIDC_REDIRECT_URL',
  'OIDC_ROLE_MAPPING',
  'OIDC_GROUPS_CLAIM',
  'OIDC_USERNAME_CLAIM',
  'OIDC_SCOPES',
  'PASSWORD_SIGN_IN',
] as const;
type SsoVariable = (typeof SSO_VARIABLES)[number];

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** http is for a provider on this machine only (a test, a trial); anywhere else the tokens need TLS. */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_NAMES.has(hostname) || (isIP(hostname) === 4 && hostname.startsWith('127.'));
}

function parseUrl(variable: SsoVariable, value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(variable, `must be ${what} (got "${value}")`);
  }
  const secure = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  if (!secure)
    throw new ConfigError(
      variable,
      `must be an https:// URL (http:// only on this machine: localhost or 127.0.0.1) (got "${value}")`,
    );
  if (url.search || url.hash || url.username || url.password)
    throw new ConfigError(variable, `must have no query, fragment or user name (got "${value}")`);
  return url;
}

/**
 * OIDC_ROLE_MAPPING, "administrator=cluster-admins;operator=ops,sre;viewer=staff": for each role the
 * directory's groups whose members get it. A group may appear once; a role not named is given to nobody.
 */
export function parseRoleMapping(text: string): { role: Role; groups: string[] }[] {
  const fail = (why: string): never => {
    throw new ConfigError(
      'OIDC_ROLE_MAPPING',
      `${why}; write it as role=group,group;role=group with the roles ${ROLES.join(', ')}, e.g. "administrator=cluster-admins;operator=ops"`,
    );
  };
  const byRole = new Map<Role, string[]>();
  const seen = new Set<string>();
  for (const part of text.split(';').map((entry) => entry.trim())) {
    if (part === '') continue;
    const equals = part.indexOf('=');
    if (equals < 0) fail(`"${part}" has no "="`);
    const role = part.slice(0, equals).trim();
    if (!isRole(role)) return fail(`"${role}" is not a role`);
    if (byRole.has(role)) fail(`${role} is given twice`);
    const groups = part
      .slice(equals + 1)
      .split(',')
      .map((group) => group.trim())
      .filter(Boolean);
    if (groups.length === 0) fail(`${role} has no group`);
    for (const group of groups) {
      if (seen.has(group)) fail(`the group "${group}" is given twice`);
      seen.add(group);
    }
    byRole.set(role, groups);
  }
  if (byRole.size === 0) fail('no role is given');
  return [...ROLES]
    .reverse()
    .filter((role) => byRole.has(role))
    .map((role) => ({ role, groups: byRole.get(role)! }));
}

/** The highest role that the person's groups give, or null when none of them is mapped. */
export function roleForGroups(mapping: SsoConfig['roleMapping'], groups: readonly string[]): Role | null {
  return mapping.find((entry) => entry.groups.some((group) => groups.includes(group)))?.role ?? null;
}

const CLAIM_NAME = /^[A-Za-z0-9_.:/-]{1,100}$/;

/**
 * The single sign-on settings, or null when OIDC_ISSUER_URL is not set (then no other OIDC_ variable may
 * be); and whether the sign-in form with a password is offered (PASSWORD_SIGN_IN, off only with SSO).
 */
export function loadSsoConfig(values: Partial<Record<SsoVariable, string>>): {
  sso: SsoConfig | null;
  passwordSignIn: boolean;
} {
  const passwordText = (values.PASSWORD_SIGN_IN ?? 'on').toLowerCase();
  if (passwordText !== 'on' && passwordText !== 'off')
    throw new ConfigError('PASSWORD_SIGN_IN', `must be on or off (got "${values.PASSWORD_SIGN_IN}")`);
  const passwordSignIn = passwordText === 'on';
  if (values.OIDC_ISSUER_URL === undefined) {
    const stray = SSO_VARIABLES.find(
      (variable) => variable.startsWith('OIDC_') && values[variable] !== undefined,
    );
    if (stray) throw new ConfigError('OIDC_ISSUER_URL', `is required when ${stray} is set`);
    if (!passwordSignIn)
      throw new ConfigError(
        'PASSWORD_SIGN_IN',
        'can be off only with single sign-on (OIDC_ISSUER_URL): nobody could sign in',
      );
    return { sso: null, passwordSignIn };
  }
  const required = (variable: SsoVariable): string => {
    const value = values[variable];
    if (value === undefined)
      throw new ConfigError(variable, 'is required with single sign-on (OIDC_ISSUER_URL is set)');
    return value;
  };
  const issuerUrl = parseUrl('OIDC_ISSUER_URL', values.OIDC_ISSUER_URL, "the identity provider's issuer URL");
  const clientId = required('OIDC_CLIENT_ID');
  const clientSecret = required('OIDC_CLIENT_SECRET');
  const redirectUrl = parseUrl(
    'OIDC_REDIRECT_URL',
    required('OIDC_REDIRECT_URL'),
    `this cluster's address followed by ${SSO_CALLBACK_PATH}`,
  );
  if (!redirectUrl.pathname.endsWith(SSO_CALLBACK_PATH))
    throw new ConfigError(
      'OIDC_REDIRECT_URL',
      `must end with ${SSO_CALLBACK_PATH}, the page the provider sends people back to (got "${redirectUrl.href}")`,
    );
  const roleMapping = parseRoleMapping(required('OIDC_ROLE_MAPPING'));
  const claim = (variable: 'OIDC_GROUPS_CLAIM' | 'OIDC_USERNAME_CLAIM', fallback: string): string => {
    const value = values[variable] ?? fallback;
    if (!CLAIM_NAME.test(value))
      throw new ConfigError(variable, `must be a claim name: letters, digits and _ . : / - (got "${value}")`);
    return value;
  };
  const scopes = (values.OIDC_SCOPES ?? 'openid profile').split(/\s+/).filter(Boolean);
  if (!scopes.includes('openid'))
    throw new ConfigError('OIDC_SCOPES', `must include openid (got "${values.OIDC_SCOPES}")`);
  if (scopes.some((scope) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope)))
    throw new ConfigError(
      'OIDC_SCOPES',
      `must be scope names separated by spaces (got "${values.OIDC_SCOPES}")`,
    );
  return {
    sso: {
      issuerUrl,
      clientId,
      clientSecret,
      redirectUrl,
      roleMapping,
      groupsClaim: claim('OIDC_GROUPS_CLAIM', 'groups'),
      usernameClaim: claim('OIDC_USERNAME_CLAIM', 'preferred_username'),
      scopes: scopes.join(' '),
    },
    passwordSignIn,
  };
}
