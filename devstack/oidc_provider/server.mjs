// A second OpenID Connect provider for the integration suite, on panva's oidc-provider
// (an OpenID Certified implementation), so that the site's relying party is not tuned to
// the PSC simulator this project wrote. It is configured like Pro Santé Connect's realm
// "esante-wallet": scope "scope_all" carrying PSC's claims (SubjectNameID, SubjectRefPro...),
// acr "eidas1", 120 s access tokens, refresh tokens, a confidential client that must
// authenticate with HTTP Basic (client_secret_basic) at the token endpoint, PKCE, and
// RP-initiated logout to registered post-logout URIs.
//
// Usage: node server.mjs CONFIG.json  (written by the test fixture: port, issuer, client,
// signing key, and the claims of each identity). Binds to 127.0.0.1 only; the login page
// lets the tester pick an identity (POST /interaction/<uid>/login, field "identity").

import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const identities = config.identities; // key -> claims (PSC userinfo)
const PSC_CLAIMS = [...new Set(Object.values(identities).flatMap((c) => Object.keys(c)))]
  .filter((name) => name !== 'sub');

const provider = new Provider(config.issuer, {
  clients: [{
    client_id: config.client_id,
    client_secret: config.client_secret,
    redirect_uris: config.redirect_uris,
    post_logout_redirect_uris: config.post_logout_redirect_uris,
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  }],
  jwks: { keys: [config.signing_jwk] },
  scopes: ['openid', 'scope_all'],
  claims: { openid: ['sub'], scope_all: PSC_CLAIMS },
  acrValues: ['eidas1', 'eidas2', 'eidas3'],
  ttl: {
    AccessToken: config.access_token_ttl ?? 120,
    AuthorizationCode: 60,
    IdToken: 300,
    RefreshToken: 1800,
    Interaction: 600,
    Session: 14400,
    Grant: 14400,
  },
  pkce: { required: () => true },
  // No grace on expiry (the library's default is 15 s): the tests see a token refused
  // the moment its lifetime is over.
  clockTolerance: 0,
  cookies: { keys: [config.cookie_key] },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true },
    userinfo: { enabled: true },
  },
  // PSC hands a refresh token to its web clients without offline_access.
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  // First-party client: consent is implied, for exactly what the client asks.
  loadExistingGrant: async (ctx) => {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid scope_all');
    grant.addOIDCClaims(PSC_CLAIMS);
    await grant.save();
    return grant;
  },
  findAccount: async (ctx, id) => {
    if (!identities[id]) return undefined;
    return { accountId: id, claims: async () => ({ ...identities[id], sub: id }) };
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError: async (ctx, out) => {
    ctx.type = 'application/json';
    ctx.body = out;
  },
});
provider.proxy = false;

const events = [];
provider.on('grant.success', (ctx) => {
  events.push({ event: 'token', grant_type: ctx.oidc.params.grant_type,
                client_auth: ctx.oidc.client?.clientAuthMethod });
});
provider.on('grant.error', (ctx, err) => {
  events.push({ event: 'token_error', error: err.error, description: err.error_description });
});
provider.on('end_session.success', () => events.push({ event: 'end_session' }));
provider.on('end_session.error', (ctx, err) => { process.stdout.write(`end_session error: ${err.message} ${err.cause}\n`); });

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; if (body.length > 10000) req.destroy(); });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, config.issuer);
    const match = url.pathname.match(/^\/interaction\/([\w-]+)(\/login)?$/);
    if (config.end_session_origin && url.pathname === '/.well-known/openid-configuration') {
      // A provider whose sign-out page lives on another origin than its issuer (seen in
      // the wild): the discovery document says so, the rest is unchanged.
      const end = res.end.bind(res);
      res.end = (chunk, ...rest) => {
        const doc = JSON.parse(Buffer.from(chunk).toString('utf8'));
        doc.end_session_endpoint = doc.end_session_endpoint.replace(config.issuer, config.end_session_origin);
        const body = JSON.stringify(doc);
        res.setHeader('Content-Length', Buffer.byteLength(body));
        return end(body, ...rest);
      };
    }
    if (url.pathname === '/_test/events') {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(events));
      return;
    }
    if (match && req.method === 'GET' && !match[2]) {
      await provider.interactionDetails(req, res);
      const options = Object.keys(identities)
        .map((key) => `<option value="${key}">${key}</option>`).join('');
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><form method="post" action="/interaction/${match[1]}/login">`
        + `<select name="identity">${options}</select><button>Se connecter</button></form>`);
      return;
    }
    if (match && req.method === 'POST' && match[2]) {
      const form = await readForm(req);
      const identity = form.get('identity');
      if (!identities[identity]) {
        res.statusCode = 400;
        res.end('unknown identity');
        return;
      }
      await provider.interactionFinished(req, res, {
        login: { accountId: identity, acr: 'eidas1', amr: ['mfa'] },
      }, { mergeWithLastSubmission: false });
      return;
    }
    callback(req, res);
  } catch (err) {
    res.statusCode = 500;
    res.end(String(err));
  }
});
server.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`oidc provider listening on ${config.issuer}\n`);
});
