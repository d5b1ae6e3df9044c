import { ConfigError } from './config-error';
import { loadSsoConfig, parseRoleMapping, roleForGroups } from './sso-config';

const VALID = {
  OIDC_ISSUER_URL: 'https://login.example.com/realms/ops',
  OIDC_CLIENT_ID: 'cluster',
  OIDC_CLIENT_SECRET: 'a-client-secret-never-shown',
  OIDC_REDIRECT_URL: 'https://cluster.example.com/login/sso/callback',
  OIDC_ROLE_MAPPING: 'operator=ops, sre; administrator=cluster-admins',
};

function errorFor(values: Record<string, string | undefined>): ConfigError {
  try {
    loadSsoConfig(values);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('single sign-on settings', () => {
  it('are off, with password sign-in on, when nothing is set', () => {
    expect(loadSsoConfig({})).toEqual({ sso: null, passwordSignIn: true });
  });

  it('read the provider, the client, the callback and the mapping, highest role first, with defaults', () => {
    const { sso, passwordSignIn } = loadSsoConfig({ ...VALID, PASSWORD_SIGN_IN: 'OFF' });
    expect(passwordSignIn).toBe(false);
    expect(sso).toMatchObject({
      clientId: 'cluster',
      clientSecret: 'a-client-secret-never-shown',
      groupsClaim: 'groups',
      usernameClaim: 'preferred_username',
      scopes: 'openid profile',
      roleMapping: [
        { role: 'administrator', groups: ['cluster-admins'] },
        { role: 'operator', groups: ['ops', 'sre'] },
      ],
    });
    expect(sso!.issuerUrl.href).toBe('https://login.example.com/realms/ops');
    expect(sso!.redirectUrl.href).toBe('https://cluster.example.com/login/sso/callback');
  });

  it('give a person the highest role of their groups, or none', () => {
    const mapping = parseRoleMapping('viewer=staff;operator=ops;administrator=admins');
    expect(roleForGroups(mapping, ['staff', 'ops'])).toBe('operator');
    expect(roleForGroups(mapping, ['admins', 'staff'])).toBe('administrator');
    expect(roleForGroups(mapping, ['staff'])).toBe('viewer');
    expect(roleForGroups(mapping, ['accounting'])).toBeNull();
    expect(roleForGroups(mapping, [])).toBeNull();
  });

  it('allow http only for a provider on this machine', () => {
    expect(loadSsoConfig({ ...VALID, OIDC_ISSUER_URL: 'http://localhost:8080' }).sso!.issuerUrl.host).toBe(
      'localhost:8080',
    );
    expect(loadSsoConfig({ ...VALID, OIDC_ISSUER_URL: 'http://127.0.0.1:8080' }).sso).not.toBeNull();
    expect(errorFor({ ...VALID, OIDC_ISSUER_URL: 'http://login.example.com' }).message).toBe(
      'OIDC_ISSUER_URL: must be an https:// URL (http:// only on this machine: localhost or 127.0.0.1) (got "http://login.example.com")',
    );
  });

  it.each([
    [{ OIDC_CLIENT_ID: 'x' }, 'OIDC_ISSUER_URL', 'is required when OIDC_CLIENT_ID is set'],
    [{ PASSWORD_SIGN_IN: 'off' }, 'PASSWORD_SIGN_IN', 'can be off only with single sign-on'],
    [{ ...VALID, PASSWORD_SIGN_IN: 'maybe' }, 'PASSWORD_SIGN_IN', 'must be on or off'],
    [
      { ...VALID, OIDC_ISSUER_URL: 'login.example.com' },
      'OIDC_ISSUER_URL',
      "must be the identity provider's issuer URL",
    ],
    [{ ...VALID, OIDC_ISSUER_URL: 'https://login.example.com/?x=1' }, 'OIDC_ISSUER_URL', 'no query'],
    [{ ...VALID, OIDC_CLIENT_ID: undefined }, 'OIDC_CLIENT_ID', 'is required with single sign-on'],
    [{ ...VALID, OIDC_CLIENT_SECRET: undefined }, 'OIDC_CLIENT_SECRET', 'is required with single sign-on'],
    [
      { ...VALID, OIDC_REDIRECT_URL: 'https://cluster.example.com/' },
      'OIDC_REDIRECT_URL',
      'must end with /login/sso/callback',
    ],
    [
      { ...VALID, OIDC_REDIRECT_URL: 'ftp://x/login/sso/callback' },
      'OIDC_REDIRECT_URL',
      'must be an https:// URL',
    ],
    [{ ...VALID, OIDC_ROLE_MAPPING: undefined }, 'OIDC_ROLE_MAPPING', 'is required'],
    [{ ...VALID, OIDC_ROLE_MAPPING: 'root=admins' }, 'OIDC_ROLE_MAPPING', '"root" is not a role'],
    [{ ...VALID, OIDC_ROLE_MAPPING: 'administrator' }, 'OIDC_ROLE_MAPPING', 'has no "="'],
    [{ ...VALID, OIDC_ROLE_MAPPING: 'viewer=' }, 'OIDC_ROLE_MAPPING', 'viewer has no group'],
    [{ ...VALID, OIDC_ROLE_MAPPING: 'viewer=a;viewer=b' }, 'OIDC_ROLE_MAPPING', 'viewer is given twice'],
    [
      { ...VALID, OIDC_ROLE_MAPPING: 'viewer=a;operator=a' },
      'OIDC_ROLE_MAPPING',
      'the group "a" is given twice',
    ],
    [{ ...VALID, OIDC_ROLE_MAPPING: ' ; ' }, 'OIDC_ROLE_MAPPING', 'no role is given'],
    [{ ...VALID, OIDC_GROUPS_CLAIM: 'my groups' }, 'OIDC_GROUPS_CLAIM', 'must be a claim name'],
    [{ ...VALID, OIDC_USERNAME_CLAIM: '<x>' }, 'OIDC_USERNAME_CLAIM', 'must be a claim name'],
    [{ ...VALID, OIDC_SCOPES: 'profile email' }, 'OIDC_SCOPES', 'must include openid'],
    [{ ...VALID, OIDC_SCOPES: 'openid "x"' }, 'OIDC_SCOPES', 'must be scope names'],
  ])('stop at %j: %s %s', (values, variable, words) => {
    const error = errorFor(values);
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(words);
  });

  it('never repeat the client secret in a message', () => {
    const error = errorFor({ ...VALID, OIDC_ROLE_MAPPING: 'bad' });
    expect(error.message).not.toContain(VALID.OIDC_CLIENT_SECRET);
  });
});
