/** An OpenAPI security requirement list. */
type SecurityRequirements = { [scheme: string]: string[] }[];

/**
 * OpenAPI security requirement of every protected route: a bearer access token, obtainable
 * interactively through the issuer's Authorization Code + PKCE flow (`oidc`).
 */
export const SECURED: SecurityRequirements = [{ bearerAuth: [] }, { oidc: [] }];

/** OpenAPI security requirement of a public route. */
export const PUBLIC: SecurityRequirements = [];
