// A real OpenID Connect provider for the SSO tests: the certified `oidc-provider` from npm
// (package-lock.json), on 127.0.0.1 at the port given as the first argument. It prints
// "ready <issuer>" when it listens. Its own development login and consent pages take any
// password; the accounts below are the test accounts and their claims (groups included).
// Arguments: port, our redirect URI, our post-logout redirect URI, and a fault to play:
//   "expired"  the provider's clock runs 5 minutes slow and its ID tokens live 10 seconds, so
//              every ID token it issues has expired (beyond any leeway) when it arrives;
//   "tampered" its token endpoint's answer is altered on the way out, as by someone in the
//              middle: the ID token's claims say the account is in the group "tf-admin",
//              under the provider's original signature.
import Provider from 'oidc-provider';

const port = Number(process.argv[2] || 0);
const redirectUri = process.argv[3] || 'http://localhost/logga-in/sso/klar';
const postLogoutUri = process.argv[4] || 'http://localhost/logga-in';
const fault = process.argv[5] || '';
const issuer = `http://127.0.0.1:${port}`;

if (fault === 'expired') {
  const realNow = Date.now;
  Date.now = () => realNow() - 300 * 1000;
}

const ACCOUNTS = {
  anna: { name: 'Anna Andersson', email: 'anna@kommun.example', preferred_username: 'anna',
    groups: ['tf-handlaggare', 'tf-bedomare'] },
  bertil: { name: 'Bertil Berg', email: 'bertil@forening.example', preferred_username: 'bertil',
    groups: ['tf-sokande', 'forening-x'] },
  cecilia: { name: 'Cecilia Ceder', email: 'cecilia@kommun.example',
    preferred_username: 'admin', groups: ['tf-admin'] },
  doris: { name: 'Doris Dahl', email: 'doris@kommun.example', preferred_username: 'doris',
    groups: [] },
};

const client = (clientId) => ({
  client_id: clientId,
  client_secret: 'test-secret-of-the-trygghetsfonden-client',
  redirect_uris: [redirectUri],
  post_logout_redirect_uris: [postLogoutUri],
  response_types: ['code'],
  grant_types: ['authorization_code'],
});

const provider = new Provider(issuer, {
  clients: [client('trygghetsfonden')],
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account, email_verified: true }; } };
  },
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  ttl: { IdToken: fault === 'expired' ? 10 : 3600 },
  cookies: { keys: ['test-cookie-key-not-secret'] },
});
if (fault === 'tampered') {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && ctx.body && ctx.body.id_token) {
      const [header, payload, signature] = ctx.body.id_token.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      claims.groups = ['tf-admin'];
      const forged = Buffer.from(JSON.stringify(claims)).toString('base64url');
      ctx.body = { ...ctx.body, id_token: `${header}.${forged}.${signature}` };
    }
  });
}
provider.on('server_error', (ctx, err) => { console.error('server_error', err); });

provider.listen(port, '127.0.0.1', () => { console.log(`ready ${issuer}`); });
