import { AuthError } from '../errors.js';
import {
  type DecodedToken,
  decodeCompactJws,
  decodeToken,
  looksLikeJws,
  MAX_TOKEN_LENGTH,
} from '../token/decode.js';
import type { AuthenticateOptions, IssuerEntry } from './context.js';

/** Issuer for a token that is not a JWT: the single issuer able to introspect, if any. */
function opaqueIssuer(issuers: ReadonlyMap<string, IssuerEntry>): IssuerEntry | undefined {
  const candidates = [...issuers.values()].filter((e) => e.issuer.verify === 'introspect');
  return candidates.length === 1 ? candidates[0] : undefined;
}

/** Routes a token to its issuer; `decoded` is set for JWTs (decoded once, verified later). */
export function issuerOf(
  issuers: ReadonlyMap<string, IssuerEntry>,
  token: string,
): { entry: IssuerEntry; decoded?: DecodedToken } {
  if (!looksLikeJws(token)) {
    const entry = token.length <= MAX_TOKEN_LENGTH ? opaqueIssuer(issuers) : undefined;
    if (entry === undefined) decodeToken(token); // throws the precise token_malformed reason
    return { entry: entry as IssuerEntry };
  }
  const decoded = decodeCompactJws(token); // the shape was checked just above
  const iss = decoded.payload.iss;
  // Unknown `iss` is refused before any network call: a token cannot make us fetch anything.
  const entry = typeof iss === 'string' ? issuers.get(iss) : undefined;
  if (entry === undefined) throw new AuthError('issuer_unknown', 'The token issuer is not trusted');
  return { entry, decoded };
}

/** The audiences a request accepts from an issuer (its configured ones by default). */
export function accepted(
  entry: IssuerEntry,
  options: AuthenticateOptions | undefined,
): readonly string[] {
  return options?.audiences?.(entry.issuer.audiences) ?? entry.issuer.audiences;
}
