import { resolveIssuer } from '../config.js';
import type { AuthError, AuthErrorCode } from '../errors.js';
import type { IssuerOptions } from '../options.js';
import type { Principal } from '../principal.js';
import { type DecodedToken, decodeToken } from '../token/decode.js';
import { rolesFinding } from './roles-finding.js';
import { explainRefusal, settingNames } from './token-findings.js';

/** Expected versus received values of a refusal, safe to return to the caller. */
export interface RefusalExplanation {
  readonly expected: string;
  readonly received: string;
}

/** Explains one refusal, given the token the caller sent and, for a 403, its principal. */
export type RefusalExplainer = (
  error: AuthError,
  token: string | undefined,
  principal?: Principal,
) => RefusalExplanation | undefined;

/** The refusals that are explained: the ones a configuration mistake causes. */
const EXPLAINED: ReadonlySet<AuthErrorCode> = new Set([
  'audience_mismatch',
  'issuer_unknown',
  'token_type_invalid',
  'insufficient_permission',
]);

/** Longest value echoed; values come from the caller's own token or the API's configuration. */
const MAX = 200;

function bounded(text: string): string {
  return text.length > MAX ? `${text.slice(0, MAX)}…` : text;
}

/**
 * Builds the explainer an API uses to add expected-versus-received values to its problem
 * bodies for `audience_mismatch`, `issuer_unknown`, `token_type_invalid` and claim-mapping
 * refusals (`insufficient_permission`: the claim the permissions are read from and what it
 * held). It uses the same explanations as `diagnose`. What it returns names claim values and
 * configured names, never the token; an API enables it where revealing its configured issuer
 * and audience to callers is acceptable (development).
 *
 * @example
 * ```ts
 * const explain = createRefusalExplainer(issuerOptions);
 * const extra = explain(error, bearerToken, request.principal); // { expected, received } | undefined
 * ```
 */
export function createRefusalExplainer(
  issuers: readonly IssuerOptions[],
  now: () => number = Date.now,
): RefusalExplainer {
  const resolved = issuers.map(resolveIssuer);
  return (error, token, principal) => {
    if (!EXPLAINED.has(error.code)) return undefined;
    if (error.code === 'insufficient_permission') {
      const issuer = resolved.find((i) => i.issuer === principal?.issuer);
      // Permissions are `resource:action`; a missing role (`admin`) is not a claim-mapping problem.
      const missing = error.missing ?? [];
      if (issuer === undefined || principal === undefined || missing.length === 0) return undefined;
      if (!missing.every((m) => m.includes(':'))) return undefined;
      // Only the expected and received values leave here, never the fix that names settings.
      const names = settingNames(false, resolved, issuer.issuer);
      const finding = rolesFinding(issuer, principal, missing, names);
      return {
        expected: bounded(finding.expected ?? ''),
        received: bounded(finding.received ?? ''),
      };
    }
    let decoded: DecodedToken | undefined;
    try {
      decoded = token === undefined ? undefined : decodeToken(token);
    } catch {
      return undefined;
    }
    if (decoded === undefined) return undefined;
    const issuer = resolved.find((i) => i.issuer === decoded.payload.iss);
    const [finding] = explainRefusal(error, decoded, issuer, resolved, Math.floor(now() / 1000));
    if (finding?.expected === undefined || finding.received === undefined) return undefined;
    return {
      expected: bounded(finding.expected),
      received: bounded(finding.received),
    };
  };
}
