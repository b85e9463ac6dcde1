import { AuthError, authErrorResponse, createAuthenticator, isAuthError } from '@todo-sso/auth';
import { authPlugin, createAuthErrorHandler } from '@todo-sso/auth/fastify';
import { alice, startTestIssuer, type TestIssuer } from '@todo-sso/auth/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const MCP = 'https://api.example.com/mcp';
const METADATA = 'https://api.example.com/.well-known/oauth-protected-resource';

async function refusal(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    if (isAuthError(error)) return error.code;
    throw error;
  }
  return 'accepted';
}

describe('a resource with its own identifier (RFC 8707 §2)', () => {
  let idp: TestIssuer;
  beforeAll(async () => {
    idp = await startTestIssuer({ profile: 'keycloak' });
  });
  afterAll(async () => idp.close());

  test('accepts a token for the resource only where that resource is accepted', async () => {
    const auth = createAuthenticator({ issuers: [idp.issuerOptions()] });
    const forMcp = await idp.accessToken(alice, { claims: { aud: MCP } });
    const onlyMcp = { audiences: () => [MCP] };
    expect(await refusal(() => auth.authenticate(forMcp))).toBe('audience_mismatch');
    expect(await refusal(() => auth.authenticate(forMcp, onlyMcp))).toBe('accepted');
    // Verified (and cached) once: the cache answers for the resource it is asked about.
    expect(await refusal(() => auth.authenticate(forMcp))).toBe('audience_mismatch');
    const forApi = await idp.accessToken(alice);
    expect(await refusal(() => auth.authenticate(forApi))).toBe('accepted');
    expect(await refusal(() => auth.authenticate(forApi, onlyMcp))).toBe('audience_mismatch');
    const both = { audiences: (configured: readonly string[]) => [...configured, MCP] };
    expect(await refusal(() => auth.authenticate(forApi, both))).toBe('accepted');
    expect(await refusal(() => auth.authenticate(forMcp, both))).toBe('accepted');
  });

  test('checks the audience of an introspected token per request, never caching a mismatch', async () => {
    const auth = createAuthenticator({
      issuers: [idp.issuerOptions({ verify: 'introspect' })],
    });
    const forMcp = await idp.opaqueToken(alice, { claims: { aud: MCP } });
    expect(await refusal(() => auth.authenticate(forMcp))).toBe('audience_mismatch');
    expect(await refusal(() => auth.authenticate(forMcp, { audiences: () => [MCP] }))).toBe(
      'accepted',
    );
    expect(await refusal(() => auth.authenticate(forMcp))).toBe('audience_mismatch');
  });

  describe('the Fastify plugin', () => {
    let app: FastifyInstance;
    beforeAll(async () => {
      const authenticator = createAuthenticator({ issuers: [idp.issuerOptions()] });
      app = Fastify();
      app.setErrorHandler(
        createAuthErrorHandler({
          realm: 'todo-api',
          resourceMetadata: (request) =>
            request.url.startsWith('/mcp') ? `${METADATA}/mcp` : METADATA,
        }),
      );
      app.register(async (api) => {
        await api.register(authPlugin, { authenticator });
        api.get('/me', async (request) => ({ sub: request.principal.subject }));
      });
      app.register(async (mcp) => {
        await mcp.register(authPlugin, { authenticator, audiences: () => [MCP] });
        mcp.post('/mcp', async (request) => ({ sub: request.principal.subject }));
      });
      await app.ready();
    });
    afterAll(async () => app.close());

    test('refuses a token for the API at the MCP resource with its metadata in the challenge', async () => {
      const token = await idp.accessToken(alice);
      const res = await app.inject({
        method: 'POST',
        url: '/mcp',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.statusCode).toBe(401);
      expect(res.json().code).toBe('audience_mismatch');
      expect(res.headers['www-authenticate']).toMatch(
        new RegExp(
          `^Bearer realm="todo-api", error="invalid_token", error_description="[^"]+", resource_metadata="${METADATA}/mcp"$`,
        ),
      );
    });

    test('accepts a token for the MCP resource there, and refuses it at the API', async () => {
      const token = await idp.accessToken(alice, { claims: { aud: MCP } });
      const headers = { authorization: `Bearer ${token}` };
      const mcp = await app.inject({ method: 'POST', url: '/mcp', headers });
      expect(mcp.statusCode).toBe(200);
      expect(mcp.json()).toEqual({ sub: alice.sub });
      const api = await app.inject({ url: '/me', headers });
      expect(api.statusCode).toBe(401);
      expect(api.headers['www-authenticate']).toContain(`resource_metadata="${METADATA}"`);
    });

    test('points a request without a token at the metadata (RFC 9728 §5.1)', async () => {
      const res = await app.inject({ url: '/me' });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe(
        `Bearer realm="todo-api", resource_metadata="${METADATA}"`,
      );
    });
  });
});

describe('authErrorResponse with resourceMetadata', () => {
  const render = (error: AuthError, dpop = false) =>
    authErrorResponse(error, {
      realm: 'todo-api',
      resourceMetadata: METADATA,
      ...(dpop && { dpopAlgorithms: ['ES256'] }),
    }).headers['www-authenticate'];

  test('adds resource_metadata to every challenge, whatever the scheme or error', () => {
    const expected = `resource_metadata="${METADATA}"`;
    const errors = [
      new AuthError('token_missing', 'No bearer token was sent'),
      new AuthError('token_expired', 'The access token expired'),
      new AuthError('insufficient_permission', 'Missing permission todos:write', {
        missing: ['todos:write'],
      }),
      new AuthError('request_invalid', 'Send exactly one Authorization header'),
      new AuthError('dpop_proof_invalid', 'The DPoP proof is invalid'),
    ];
    for (const error of errors) {
      for (const dpop of [false, true]) {
        const challenges = String(render(error, dpop)).split(/, (?=Bearer |DPoP )/);
        for (const challenge of challenges) expect(challenge.split(', ')).toContain(expected);
      }
    }
  });

  test('leaves the challenge as it was without the option', () => {
    const res = authErrorResponse(new AuthError('token_missing', 'No bearer token was sent'), {
      realm: 'todo-api',
    });
    expect(res.headers['www-authenticate']).toBe('Bearer realm="todo-api"');
  });
});

describe('authErrorResponse with scope', () => {
  const render = (error: AuthError, dpop = false) =>
    String(
      authErrorResponse(error, {
        realm: 'todo-api',
        resourceMetadata: METADATA,
        scope: ['openid', 'profile'],
        ...(dpop && { dpopAlgorithms: ['ES256'] }),
      }).headers['www-authenticate'],
    );
  const challenges = (header: string) => header.split(/, (?=Bearer |DPoP )/);

  test('names the required scopes in every challenge of a 401 (RFC 6750 §3)', () => {
    expect(render(new AuthError('token_missing', 'No bearer token was sent'))).toBe(
      `Bearer realm="todo-api", resource_metadata="${METADATA}", scope="openid profile"`,
    );
    const errors = [
      new AuthError('token_missing', 'No bearer token was sent'),
      new AuthError('token_expired', 'The access token expired'),
      new AuthError('dpop_proof_invalid', 'The DPoP proof is invalid'),
    ];
    for (const error of errors)
      for (const dpop of [false, true])
        for (const challenge of challenges(render(error, dpop)))
          expect(challenge.split(', '), `${error.code} ${challenge}`).toContain(
            'scope="openid profile"',
          );
  });

  test("leaves a 403's missing scopes, a 400 and a refusal naming its own scope alone", () => {
    const forbidden = new AuthError('insufficient_permission', 'Missing permission todos:write', {
      missing: ['todos:write'],
    });
    expect(render(forbidden)).toContain('scope="todos:write"');
    expect(render(forbidden)).not.toContain('openid');
    const invalid = new AuthError('request_invalid', 'Send exactly one Authorization header');
    expect(render(invalid)).not.toContain('scope=');
    const stepUp = new AuthError('authentication_too_weak', 'Sign in again', {
      challenge: {
        scheme: 'Bearer',
        status: 401,
        error: 'insufficient_user_authentication',
        description: 'Sign in again',
        scope: ['admin'],
      },
    });
    expect(render(stepUp).match(/scope="[^"]*"/g)).toEqual(['scope="admin"']);
  });
});
