import type { ResolvedIssuer } from '../config.js';
import { strings } from './capability-findings.js';
import type { Finding, StepUpLevel } from './types.js';

/**
 * Admin work asks this issuer for an authentication level (`acr`, RFC 9470 §3 `acr_values`)
 * that its discovery document says it never issues: every admin call is then answered with the
 * step-up challenge, and no sign-in can meet it. OpenID Connect Discovery 1.0 §3 makes
 * `acr_values_supported` optional, so a provider that lists none is not judged: only a list
 * without the asked level, or any level ranked above it, is a finding. Keycloak lists the
 * names of its realm's "ACR to LoA mapping" (`acr.loa.map`; `0` and `1` without one);
 * Authentik lists its one fixed value.
 */
export function stepUpFinding(
  issuer: ResolvedIssuer,
  metadata: Record<string, unknown>,
  asked: StepUpLevel | undefined,
): Finding | undefined {
  if (asked === undefined || !Array.isArray(metadata.acr_values_supported)) return undefined;
  const listed = strings(metadata.acr_values_supported);
  const at = asked.levels.indexOf(asked.acr);
  // A token at a level ranked above the asked one passes too (levels are weakest first).
  const enough = at < 0 ? [asked.acr] : asked.levels.slice(at);
  if (enough.some((acr) => listed.includes(acr))) return undefined;
  return {
    code: 'step_up_level_unsupported',
    check: 'discovery',
    issuer: issuer.issuer,
    summary: `Admin work asks this provider for the authentication level ${asked.acr} (${asked.setting}), but its discovery document lists no such acr value: no sign-in there can meet it, so every /admin/ call is answered 401 with the step-up challenge.`,
    expected: `acr_values_supported with ${enough.join(' or ')}`,
    received: listed.length === 0 ? '(an empty list)' : listed.join(', '),
    fix: {
      config: `Name in ${asked.setting} a level this provider issues (with its levels, weakest first), or ask for freshness only: STEP_UP_ACR= (empty, and no stepUpAcr in any OIDC_ISSUERS entry) with STEP_UP_MAX_AGE_SECONDS, the provider asking administrators for a second factor at every sign-in.`,
      keycloak: `Realm settings → General → ACR to LoA mapping: add ${asked.acr} with its level (the development realm: pwd 1, mfa 2), and in the browser flow a conditional sub-flow "Condition - Level of Authentication" at that level that asks for the one-time code.`,
      authentik: `Authentik has no authentication levels (its acr is always goauthentik.io/providers/oauth2/default): set STEP_UP_ACR= (empty) and STEP_UP_MAX_AGE_SECONDS, with an Authenticator Validation stage in the application's authentication flow.`,
    },
  };
}
