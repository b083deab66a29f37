// A real OpenID Connect provider (panva/oidc-provider, OpenID Certified) for the console's single sign-on tests.
// It listens first, prints "port N", then reads one JSON line on stdin: { redirectUri, accounts: { login: { email, groups } } }.
// Its own login and consent pages (devInteractions) take any password for a listed login.
import http from 'node:http';
import readline from 'node:readline';
import Provider from 'oidc-provider';

let handler = (req, res) => { res.statusCode = 503; res.end('not configured yet'); };
const server = http.createServer((req, res) => handler(req, res));
server.listen(0, '127.0.0.1', () => console.log(`port ${server.address().port}`));

const lines = readline.createInterface({ input: process.stdin });
lines.once('line', (line) => {
  const { redirectUri, accounts } = JSON.parse(line);
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'otaconsole',
      client_secret: 'otaconsole-secret',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    }],
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    findAccount: async (ctx, id) => accounts[id] && {
      accountId: id,
      claims: async () => ({ sub: id, name: id, email: accounts[id].email, email_verified: true, groups: accounts[id].groups }),
    },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['otaconsole-test-cookie-key'] },
  });
  provider.proxy = false;
  handler = provider.callback();
  console.log('ready');
});
process.stdin.on('end', () => process.exit(0));
