import type { UserManager } from 'oidc-client-ts';
import { CALLBACK_PATH } from './user-manager.js';

/**
 * The authorization server issuer identification of RFC 9207, checked before the callback is
 * processed (oidc-client-ts does not): an authorization response whose `iss` is not the issuer
 * the app signs in with — or that has none although the provider's metadata says it always
 * sends one (`authorization_response_iss_parameter_supported`, §3) and it carries a code — is
 * refused (§2.4), so a
 * code from another provider (a mix-up attack) is never redeemed at this one. The response is
 * replaced, in the address bar and this history entry, by an OAuth error response with the same
 * `state`: the sign-in then ends as any refused sign-in does, with the state used up.
 *
 * @returns whether the response was refused.
 */
export async function refuseForeignAuthorizationResponse(
  userManager: Pick<UserManager, 'metadataService'>,
  issuer: string,
  location: Pick<Location, 'pathname' | 'search'> = window.location,
): Promise<boolean> {
  if (location.pathname !== CALLBACK_PATH) return false;
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) return false;
  const iss = params.get('iss');
  let problem: string | undefined;
  if (iss !== null) {
    // §2.4: simple string comparison with the issuer identifier the app trusts.
    if (iss !== issuer)
      problem = `The sign-in answer names another identity provider than ${issuer}; it was not used.`;
  } else if (params.has('code') && (await issuerAlwaysSent(userManager))) {
    // An error response without `iss` redeems nothing and ends the sign-in anyway.
    problem = `The sign-in answer does not name its identity provider, which ${issuer} always does: it may come from another identity provider and was not used.`;
  }
  if (problem === undefined) return false;
  const refused = new URLSearchParams({ error: 'invalid_request', error_description: problem });
  const state = params.get('state');
  if (state !== null) refused.set('state', state);
  window.history.replaceState(window.history.state, '', `${CALLBACK_PATH}?${refused}`);
  return true;
}

async function issuerAlwaysSent(userManager: Pick<UserManager, 'metadataService'>) {
  const metadata = (await userManager.metadataService.getMetadata().catch(() => ({}))) as Record<
    string,
    unknown
  >;
  return metadata.authorization_response_iss_parameter_supported === true;
}
