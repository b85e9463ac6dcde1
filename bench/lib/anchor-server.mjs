// Child process (pinned to the server core): the Node anchor the API is compared with. An
// Express app protected by Auth0's express-oauth2-jwt-bearer, the most used Node
// resource-server middleware, verifying the same issuer's tokens (discovery, then its JWKS
// over HTTP) for the same audience. GET /me answers the token's subject and scopes as JSON,
// the shape of the API's /me; like the API, a missing or bad token is a 401 challenge.
// Environment: ANCHOR_PORT, ANCHOR_ISSUER, ANCHOR_AUDIENCE.
import express from 'express';
import { auth } from 'express-oauth2-jwt-bearer';

const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.get('/healthz', (_req, res) => {
  res.json({ status: 'ok' });
});
app.get(
  '/me',
  auth({
    issuerBaseURL: process.env.ANCHOR_ISSUER,
    audience: process.env.ANCHOR_AUDIENCE,
    tokenSigningAlg: 'RS256',
  }),
  (req, res) => {
    const claims = req.auth.payload;
    res.json({
      sub: claims.sub,
      issuer: claims.iss,
      username: claims.preferred_username ?? null,
      email: claims.email ?? null,
      name: claims.name ?? null,
      roles: claims.realm_access?.roles ?? [],
      scopes: typeof claims.scope === 'string' ? claims.scope.split(' ') : [],
    });
  },
);
// The middleware's errors carry their status and RFC 6750 challenge; answered as JSON, as the
// API does, rather than Express's HTML error page.
app.use((error, _req, res, _next) => {
  res
    .status(error.status ?? 500)
    .set(error.headers ?? {})
    .json({ error: error.code ?? 'server_error' });
});
const server = app.listen(Number(process.env.ANCHOR_PORT), '127.0.0.1', () => {
  process.stdout.write(`anchor listening on ${server.address().port}\n`);
});
server.keepAliveTimeout = 72_000;
process.once('SIGTERM', () => server.close(() => process.exit(0)));
process.once('SIGINT', () => server.close(() => process.exit(0)));
