// node-oidc-provider on loopback, for tokengate's interop tests.
//
//   PORT=0 node provider.mjs
//
// It listens on 127.0.0.1:PORT (0: any free port) and prints one JSON line,
// {"issuer": "...", "kid": "..."}, once it is ready. Its issuer is
// http://127.0.0.1:PORT. Each start makes a new RSA signing key, so a
// restart on the same port is a key rotation. Configuration:
//
//   - resource indicators (RFC 8707): https://orders.example.test issues
//     RFC 9068 JWT access tokens, https://opaque.example.test opaque ones;
//     both grant the scope orders:read;
//   - introspection (RFC 7662) and revocation (RFC 7009);
//   - the public client web-app (code + PKCE, refresh tokens with
//     offline_access) and the confidential client api (api-secret), which
//     introspects;
//   - interactions that sign alice in and consent at once, so that a
//     client with a cookie jar runs the flow without a browser.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

import Provider, { errors } from 'oidc-provider';

const JWT_RESOURCE = 'https://orders.example.test';
const OPAQUE_RESOURCE = 'https://opaque.example.test';

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

function config(key) {
  return {
    clients: [
      {
        client_id: 'web-app',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        redirect_uris: ['http://127.0.0.1/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
      {
        client_id: 'api',
        client_secret: 'api-secret-for-interop-tests-only',
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
    ],
    jwks: { keys: [key] },
    cookies: { keys: ['interop-cookie-key-not-secret'] },
    findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    pkce: { required: () => true },
    ttl: { AccessToken: 300, IdToken: 300, RefreshToken: 3600, Session: 3600, Grant: 3600, Interaction: 300 },
    features: {
      devInteractions: { enabled: false },
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          switch (resource) {
            case JWT_RESOURCE:
              return { scope: 'orders:read', audience: resource, accessTokenFormat: 'jwt', accessTokenTTL: 300, jwt: { sign: { alg: 'RS256' } } };
            case OPAQUE_RESOURCE:
              return { scope: 'orders:read', audience: resource, accessTokenFormat: 'opaque', accessTokenTTL: 300 };
          }
          throw new errors.InvalidTarget();
        },
      },
    },
  };
}

// interaction signs alice in, then consents to everything asked.
async function interaction(provider, req, res) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name === 'login') {
    await provider.interactionFinished(req, res, { login: { accountId: 'alice' } }, { mergeWithLastSubmission: false });
    return;
  }
  const { prompt: { details: missing }, params, session: { accountId } } = details;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missing.missingResourceScopes || {})) {
    grant.addResourceScope(resource, scopes.join(' '));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const server = createServer();
server.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const key = signingKey();
  const provider = new Provider(issuer, config(key));
  provider.on('server_error', (_ctx, err) => console.error('server_error', err));
  const handle = provider.callback();
  server.on('request', (req, res) => {
    if (req.url.startsWith('/interaction/')) {
      interaction(provider, req, res).catch((err) => {
        console.error('interaction', err);
        res.statusCode = 500;
        res.end(String(err));
      });
      return;
    }
    handle(req, res);
  });
  process.stdout.write(`${JSON.stringify({ issuer, kid: key.kid })}\n`);
});

// Stop when the test closes stdin or sends SIGTERM.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
