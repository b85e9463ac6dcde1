/**
 * A warning when the checked token carries an `email` its provider does not say is verified
 * (`email_verified` not `true`, OpenID Connect Core §5.7): the API never finds a person by such
 * an address, so a list shared by email does not reach them (docs/sharing.md). Authentik's
 * default email scope mapping sends `email_verified: false` for everyone. The address itself
 * is not shown. `undefined` for a token that is no JWT, has no email, or a verified one.
 */
export function unverifiedEmailWarning(token: string | undefined): string | undefined {
  const payload = token?.split('.')[1];
  if (payload === undefined) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof claims !== 'object' || claims === null) return undefined;
  const { email, email_verified: verified } = claims as Record<string, unknown>;
  if (typeof email !== 'string' || verified === true) return undefined;
  return "this token's email is not verified (email_verified is not true): the API finds this person by username only, and a list shared with their email address does not reach them; with Authentik, whose default email scope mapping sends email_verified false, select a scope mapping that sends true for verified addresses (docs/sharing.md, Authentik)";
}
