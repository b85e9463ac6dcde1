import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import { interactionPolicy } from 'oidc-provider';
import type { Realm } from '../realm/types.js';

/** Level of authentication of a password sign-in. */
export const LEVEL_PASSWORD = 1;
/** Level of authentication of a password and an OTP code. */
export const LEVEL_OTP = 2;

/**
 * The `acr` of a level, as Keycloak names it: the name `acr.loa.map` gives that level, or the
 * level as a string when the map names none.
 */
export function acrOf(realm: Realm, level: number): string {
  const named = Object.entries(realm.acrLoaMap).find(([, l]) => l === level);
  return named ? named[0] : String(level);
}

/** The level an `acr` stands for (a name of `acr.loa.map` or a number); 0 when unknown. */
export function levelOf(realm: Realm, acr: unknown): number {
  if (typeof acr !== 'string') return 0;
  const mapped = realm.acrLoaMap[acr];
  if (mapped !== undefined) return mapped;
  return /^[0-9]$/.test(acr) ? Number(acr) : 0;
}

interface AcrRequest {
  essential?: boolean;
  value?: unknown;
  values?: unknown;
}

/**
 * The acr values a request asks for, from `acr_values` or the `claims` parameter's
 * `id_token.acr`; oidc-provider puts `acr_values` into the same place.
 */
function requestedValues(claims: unknown): readonly unknown[] {
  const request = (claims as { id_token?: { acr?: AcrRequest } } | undefined)?.id_token?.acr;
  if (!request) return [];
  if (Array.isArray(request.values)) return request.values;
  return request.value !== undefined ? [request.value] : [];
}

/**
 * The lowest level among the acr values a request asks for (OpenID Connect Core §5.5.1.1: any of
 * them satisfies it). Unknown values are ignored, as Keycloak does.
 */
export function requestedLevel(realm: Realm, claims: unknown): number {
  const levels = requestedValues(claims)
    .map((v) => levelOf(realm, v))
    .filter((l) => l > 0);
  return levels.length > 0 ? Math.min(...levels) : 0;
}

/**
 * The `acr` a code, and so its tokens, reports for a session at `sessionAcr`: of the values the
 * request asks for, the one of the highest level the session reaches, as Keycloak's acr mapper
 * answers (`AcrUtils.mapLoaToAcr`); the session's own when none is asked for or reached. OpenID
 * Connect Core §5.5.1.1: an essential `acr` asked for with values MUST come back as one of them,
 * so a request for `pwd` of a session at `mfa` is answered `pwd`, not a value it did not ask for.
 */
export function reportedAcr(realm: Realm, sessionAcr: unknown, claims: unknown): unknown {
  const reached = levelOf(realm, sessionAcr);
  let best: string | undefined;
  let bestLevel = 0;
  for (const value of requestedValues(claims)) {
    const level = levelOf(realm, value);
    if (level > bestLevel && level <= reached) {
      best = value as string;
      bestLevel = level;
    }
  }
  return best ?? sessionAcr;
}

/**
 * oidc-provider writes its context's `acr` (the session's) into each authorization and device
 * code, whose tokens carry it: read through {@link reportedAcr} instead, with the request's
 * `claims`. The session keeps the level it reached, which the step-up check reads.
 */
export function reportRequestedAcr(provider: Provider, realm: Realm): void {
  const proto = provider.OIDCContext.prototype as unknown as { claims?: unknown };
  const sessionAcr = Object.getOwnPropertyDescriptor(proto, 'acr')?.get;
  if (!sessionAcr) throw new Error('oidc-provider has no acr on its context');
  Object.defineProperty(proto, 'acr', {
    configurable: true,
    get(this: { claims?: unknown }) {
      return reportedAcr(realm, sessionAcr.call(this), this.claims);
    },
  });
}

/**
 * oidc-provider's interaction policy with one change to its `login` prompt: the exact-match
 * `essential_acr(s)` checks give way to a level check, so that a session at `mfa` satisfies a
 * request for `pwd`, and a session below the requested level signs in again (step-up).
 */
export function stepUpPolicy(realm: Realm) {
  const policy = interactionPolicy.base();
  const login = policy.get('login');
  if (!login) throw new Error('oidc-provider has no login prompt');
  for (const reason of ['essential_acrs', 'essential_acr']) {
    const i = login.checks.findIndex((c) => c.reason === reason);
    if (i >= 0) login.checks.splice(i, 1);
  }
  login.checks.push(
    new interactionPolicy.Check(
      'acr_level',
      'the requested level of authentication is above the session',
      // With prompt=none: the sign-in is what is missing (OpenID Connect Core §3.1.2.6), as for
      // the prompt's own checks; a check added later would default to interaction_required.
      'login_required',
      (ctx: KoaContextWithOIDC) => {
        const { oidc } = ctx;
        if (oidc.result?.login) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
        const wanted = requestedLevel(realm, oidc.claims);
        if (wanted === 0) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
        return levelOf(realm, oidc.session?.acr) < wanted
          ? interactionPolicy.Check.REQUEST_PROMPT
          : interactionPolicy.Check.NO_NEED_TO_PROMPT;
      },
    ),
  );
  return policy;
}
