/**
 * A refusal that asks for a server nonce (RFC 9449 §9): a resource server answers 401 with
 * `WWW-Authenticate: DPoP error="use_dpop_nonce"` (§9), an authorization server 400 with
 * `{"error":"use_dpop_nonce"}` (§8); both carry the nonce to use in `DPoP-Nonce`.
 *
 * @returns the nonce to put in the next proof, or `undefined` when the answer is something else.
 */
export async function nonceChallengeOf(response: Response): Promise<string | undefined> {
  const nonce = response.headers.get('DPoP-Nonce');
  if (!nonce) return undefined;
  if (response.status === 401) {
    const challenge = response.headers.get('WWW-Authenticate') ?? '';
    return /error="use_dpop_nonce"/i.test(challenge) ? nonce : undefined;
  }
  if (response.status !== 400) return undefined;
  const body = (await response
    .clone()
    .json()
    .catch(() => undefined)) as { error?: unknown } | undefined;
  return body?.error === 'use_dpop_nonce' ? nonce : undefined;
}
