import type { ServerResponse } from 'node:http';

/**
 * Headers on every response of the dev IdP, whoever renders it (its own pages, oidc-provider's
 * device, logout and error pages, JSON): no page may be framed by another site (clickjacking;
 * CSP Level 2 `frame-ancestors`, RFC 7034 `X-Frame-Options` for older browsers), no content-type
 * sniffing, and no URL with codes or tokens leaked through `Referer`. Keycloak sends the same.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export function setSecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
}
