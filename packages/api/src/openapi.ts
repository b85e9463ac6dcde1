import type { SwaggerOptions } from '@fastify/swagger';
import { PROFILES } from '@todo-sso/auth';
import type { OpenAPIV3_1 } from 'openapi-types';
import type { ApiConfig, IssuerConfig } from './config/config.js';
import { documentSharedResponses, requiredResponseHeaders } from './openapi-responses.js';

// Types only: `openapi-types` is what @fastify/swagger's own declarations are written in.
type SecurityScheme = OpenAPIV3_1.SecuritySchemeObject;

/** The API's version as published in the OpenAPI document. */
export const API_VERSION = '0.1.0';

/**
 * How a browser signs in against the issuer: Keycloak's and Authentik's endpoint layouts are
 * known so the docs work without a discovery round-trip; any other provider is
 * described by its discovery document (OpenID Connect Discovery 1.0 §4).
 */
function signInScheme(issuer: IssuerConfig): SecurityScheme {
  const scopes = { openid: 'OpenID Connect', profile: 'Name and username', email: 'Email' };
  const profile = PROFILES[issuer.profile];
  if (profile.fixedEndpoints) {
    const url = new URL(issuer.issuer);
    const endpoints = profile.endpoints(url.pathname);
    return {
      type: 'oauth2',
      description: `Sign in through ${profile.title} (Authorization Code + PKCE S256)`,
      flows: {
        authorizationCode: {
          authorizationUrl: url.origin + endpoints.authorization,
          tokenUrl: url.origin + endpoints.token,
          scopes,
        },
      },
    };
  }
  return {
    type: 'openIdConnect',
    description: 'Sign in through the configured OpenID Connect provider',
    openIdConnectUrl: `${issuer.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`,
  };
}

/**
 * What the document says of the bearer token: how the first issuer's tokens are verified. Locally
 * (`OIDC_VERIFY=jwt`) as RFC 8725 asks, which linters look for; else by the issuer (RFC 7662).
 */
function bearerDescription(issuer: IssuerConfig | undefined): string {
  const token = 'An access token from a trusted issuer, audience `todo-api`';
  if (issuer?.verify === 'introspect')
    return `${token}, verified by the issuer's introspection endpoint (RFC 7662)`;
  return (
    `${token}: a JWT (RFC 9068) verified as RFC 8725 (JSON Web Token Best Current Practices) ` +
    'asks: signed with an asymmetric algorithm (never `none` or HMAC, §3.1), with a key from ' +
    "the issuer's JWKS only (never one the token names, §3.10), a token typed as something else " +
    '(an ID or refresh token) refused (§3.11), and `exp` required'
  );
}

/** `@fastify/swagger` options: OpenAPI 3.1, generated from the route schemas. */
export function swaggerOptions(config: ApiConfig): SwaggerOptions {
  const [first] = config.issuers;
  return {
    // The 400 and 429 every protected or limited route can answer (openapi-responses.ts).
    transform: documentSharedResponses,
    // Headers sent with every answer of their status are `required` (openapi-responses.ts).
    transformObject: (document) =>
      'openapiObject' in document
        ? requiredResponseHeaders(document.openapiObject)
        : document.swaggerObject,
    // Shared schemas (`Problem`) become named components rather than `def-0`.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'todo-sso API',
        version: API_VERSION,
        description:
          'A todo API that is an OAuth 2.0 / OpenID Connect resource server. Send an access ' +
          'token as `Authorization: Bearer …` (RFC 6750 §2.1). Errors are RFC 9457 problem ' +
          'details; 401 and 403 also carry an RFC 6750 `WWW-Authenticate` challenge.',
        license: { name: 'MIT', identifier: 'MIT' },
      },
      // Every tag an operation carries is listed here (OpenAPI 3.1 §4.8.1.1: a tag not declared
      // has no description, and documentation tools order and group by this list).
      tags: [
        { name: 'todos', description: 'Your own todos' },
        { name: 'lists', description: 'Lists, and sharing them with other people' },
        { name: 'me', description: 'The caller, and the AI assistants they let act for them' },
        { name: 'reports', description: 'Department reports' },
        { name: 'admin', description: 'Administration' },
        {
          name: 'admin: identity provider',
          description: "People and sessions managed through the identity provider's admin API",
        },
        { name: 'authzen', description: 'Access decisions (AuthZEN Authorization API 1.0)' },
        { name: 'mcp', description: 'AI assistants over the Model Context Protocol' },
        { name: 'discovery', description: 'Protected resource metadata (RFC 9728)' },
        { name: 'auth', description: 'Sign-out propagation' },
        { name: 'operations', description: 'Health and metrics' },
      ],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: bearerDescription(first),
          },
          ...(first && { oidc: signInScheme(first) }),
        },
      },
    },
  };
}
