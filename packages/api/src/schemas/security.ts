/** An OpenAPI security requirement list. */
type SecurityRequirements = { [scheme: string]: string[] }[];

/**
 * OpenAPI security requirement of every protected route: a bearer access token, obtainable
 * interactively through the issuer's Authorization Code + PKCE flow (`oidc`).
 */
export const SECURED: SecurityRequirements = [{ bearerAuth: [] }, { oidc: [] }];

/** OpenAPI security requirement of a public route. */
export const PUBLIC: SecurityRequirements = [];

/**
 * Who may call an admin operation (`adminWork`, `authz/requirement.ts`), as each one's
 * description ends: `who`, through the product's own client, with the configured step-up.
 */
export function adminWorkText(who = 'The admin role'): string {
  return (
    `${who}, through one of the product's own clients (an AI assistant's token is 403 \`forbidden\`), ` +
    'and, unless step-up is off, a sign-in at `STEP_UP_ACR` (default `mfa`; the `stepUpAcr` of ' +
    "the token's issuer where its `OIDC_ISSUERS` entry has one) within " +
    '`STEP_UP_MAX_AGE_SECONDS` (default 900): ' +
    'a weaker or older one is 401 `authentication_too_weak` or `authentication_too_old` with an ' +
    '`insufficient_user_authentication` challenge (RFC 9470 §3).'
  );
}
