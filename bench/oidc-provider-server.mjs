// The peer in `npm run bench`: node-oidc-provider 9 (panva), configured for what mcp-auth's
// figures compare: client_credentials with RFC 8707 resource indicators, RS256 JWT access tokens
// for the JWT resource, opaque ones for the other (its introspection answers only about tokens it
// stores), and introspection. Its in-memory adapter, as in its own benchmarks. Plain JavaScript,
// run by node directly. BENCH_PEER (JSON) says the issuer, resources, client and key; it prints
// `listening <port>` once it listens on loopback (port 0).
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const spec = JSON.parse(process.env.BENCH_PEER);

const provider = new Provider(spec.issuer, {
  clients: [
    {
      client_id: spec.clientId,
      client_secret: spec.clientSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: spec.scope,
    },
  ],
  jwks: { keys: [spec.privateJwk] },
  scopes: [spec.scope],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => spec.jwtResource,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => ({
        scope: spec.scope,
        audience: resource,
        accessTokenTTL: 900,
        ...(resource === spec.jwtResource
          ? { accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }
          : { accessTokenFormat: 'opaque' }),
      }),
    },
  },
});
// Its own default logging would print a line per error; the bench counts errors itself.
provider.on('server_error', (_ctx, err) => process.stderr.write(`peer server_error: ${err.message}\n`));

const server = createServer(provider.callback());
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
