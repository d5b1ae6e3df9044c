// A real OpenID Connect provider for the tests (oidc-provider, certified by the OpenID Foundation), run as
// its own process: it is an ES module with a Koa server, and the app under test must reach it over HTTP
// like any identity provider. Its development sign-in pages take any login (the account's id) and any
// password; the accounts and what the provider says of them come from the command line.
//
//   node oidc-provider.mjs '{"redirectUri":"http://…/login/sso/callback","accountsFile":"/tmp/…json","idTokenClaims":false}'
//
// The accounts file is read at every sign-in, so that a test can change a person's groups in between.
//
// Prints one line, "listening <issuer>", when it answers.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';
import { exportJWK, generateKeyPair } from 'jose';

const options = JSON.parse(process.argv[2]);
const { privateKey } = await generateKeyPair('RS256', { extractable: true });

const server = await new Promise((resolve) => {
  // A throwaway listener finds a free port; the provider needs its issuer (with the port) before it starts.
  import('node:net').then(({ createServer }) => {
    const probe = createServer();
    probe.listen(options.port ?? 0, () => {
      const { port } = probe.address();
      probe.close(() => resolve({ port }));
    });
  });
});
const issuer = `http://localhost:${server.port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: options.clientId ?? 'cluster-overview',
      client_secret: options.clientSecret ?? 'test-client-secret-0123456789',
      redirect_uris: [options.redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'test-key', use: 'sig', alg: 'RS256' }] },
  cookies: { keys: ['test-cookie-key-0123456789abcdef'] },
  pkce: { required: () => true },
  claims: { openid: ['sub'], profile: ['preferred_username', 'name', 'groups'] },
  // false: the profile claims go into the ID token too, as many providers do; true (the specification's
  // default for the code flow): only the UserInfo endpoint has them.
  conformIdTokenClaims: !options.idTokenClaims,
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, id) {
    const account = JSON.parse(readFileSync(options.accountsFile, 'utf8'))[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...account }) };
  },
});
if (options.wrongKeys) {
  // An impostor's provider: it publishes a key (under the same id) that did not sign its ID tokens.
  const { publicKey } = await generateKeyPair('RS256', { extractable: true });
  const published = { ...(await exportJWK(publicKey)), kid: 'test-key', use: 'sig', alg: 'RS256' };
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/jwks') ctx.body = { keys: [published] };
  });
}
provider.listen(server.port, () => process.stdout.write(`listening ${issuer}\n`));
