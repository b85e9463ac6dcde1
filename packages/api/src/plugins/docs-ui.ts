import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { ApiConfig } from '../config/config.js';
import { DOCS_DPOP_SCRIPT } from './docs-dpop.js';

/** Where the interactive docs live; Swagger UI's OAuth 2.0 redirect page is below it. */
export const DOCS_PREFIX = '/docs';
const REDIRECT_PAGE = `${DOCS_PREFIX}/static/oauth2-redirect.html`;

/**
 * The one inline style Swagger UI applies: the `<style>` of the small logo its standalone preset
 * draws in the top bar (`swagger-ui-standalone-preset.js`). Allowed by its hash (CSP Level 3
 * §2.3.1), never by `'unsafe-inline'`. A Swagger UI update that changes it shows up as a CSP
 * error in the docs' end-to-end test.
 */
const PRESET_LOGO_STYLE = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='";

/**
 * The docs sign in with a public client and PKCE (RFC 7636 §4; RFC 6749 §2.1: a public client
 * has no secret), but Swagger UI always draws a `client_secret` field for the authorization code
 * flow. Hidden here, served as a stylesheet (`style-src 'self'`).
 */
const THEME_CSS = `/* A public client with PKCE has no secret to enter (RFC 6749 §2.1). */
.auth-container .wrapper:has(> label[for^="client_secret_"]) { display: none; }
`;

/**
 * The docs pages' Content-Security-Policy: Swagger UI's own assets, and `fetch` to the issuers
 * (the "Authorize" button exchanges the code at the token endpoint, and reads discovery for a
 * generic provider). No `upgrade-insecure-requests`: development issuers are plain http.
 */
export function docsContentSecurityPolicy(config: ApiConfig): string {
  const issuerOrigins = [...new Set(config.issuers.map((i) => new URL(i.issuer).origin))];
  return [
    "default-src 'self'",
    `connect-src 'self' ${issuerOrigins.join(' ')}`,
    "base-uri 'self'",
    "font-src 'self' data:",
    "form-action 'self'",
    "frame-ancestors 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "script-src 'self'",
    "script-src-attr 'none'",
    `style-src 'self' ${PRESET_LOGO_STYLE}`,
  ].join('; ');
}

/**
 * Cross-Origin-Opener-Policy for the docs (HTML Standard, "Cross-origin opener policies"). The
 * sign-in runs in a popup that goes to the IdP and comes back to the redirect page, which hands
 * the code to the docs page through `window.opener`. `same-origin` on the docs page would cut
 * that link as soon as the popup leaves for the IdP; `same-origin-allow-popups` keeps its
 * popups, and the redirect page must not set a policy of its own (a popup whose policy differs
 * from its opener's is moved to a new browsing context group, losing the opener too).
 */
function openerPolicy(url: string): string {
  return url.split('?')[0] === REDIRECT_PAGE ? 'unsafe-none' : 'same-origin-allow-popups';
}

/**
 * Swagger UI at `/docs`, signing in with `config.docsClientId` (Authorization Code + PKCE S256),
 * with the docs' own security headers. Encapsulated: its hooks touch only the docs' responses.
 */
export function docsUiPlugin(config: ApiConfig) {
  return async function docs(app: FastifyInstance): Promise<void> {
    app.addHook('onSend', async (request, reply) => {
      reply.header('cross-origin-opener-policy', openerPolicy(request.url));
    });
    await app.register(swaggerUi, {
      routePrefix: DOCS_PREFIX,
      staticCSP: docsContentSecurityPolicy(config),
      theme: {
        css: [{ filename: 'public-client.css', content: THEME_CSS }],
        js: [{ filename: 'dpop.js', content: DOCS_DPOP_SCRIPT }],
      },
      uiConfig: { persistAuthorization: false, validatorUrl: null },
      initOAuth: {
        clientId: config.docsClientId,
        usePkceWithAuthorizationCodeGrant: true,
        scopes: ['openid', 'profile', 'email'],
      },
    });
  };
}
