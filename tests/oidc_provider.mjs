// A real OpenID Connect provider for the SSO tests: the certified `oidc-provider` from npm
// (package-lock.json), on 127.0.0.1 at the port given as the first argument. It prints
// "ready <issuer>" when it listens. Its own development login and consent pages take any
// password; the accounts below are the test accounts and their claims (groups included).
// Arguments: port, our redirect URI, our post-logout redirect URI.
import Provider from 'oidc-provider';

const port = Number(process.argv[2] || 0);
const redirectUri = process.argv[3] || 'http://localhost/logga-in/sso/klar';
const postLogoutUri = process.argv[4] || 'http://localhost/logga-in';
const issuer = `http://127.0.0.1:${port}`;

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
  ttl: { IdToken: 3600 },
  cookies: { keys: ['test-cookie-key-not-secret'] },
});
provider.on('server_error', (ctx, err) => { console.error('server_error', err); });

provider.listen(port, '127.0.0.1', () => { console.log(`ready ${issuer}`); });
