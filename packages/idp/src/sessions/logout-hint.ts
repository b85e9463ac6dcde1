import type { KoaContextWithOIDC } from 'oidc-provider';

/**
 * Whether an RP-initiated logout request proves it comes from the current session: its
 * `id_token_hint` (already signature-checked by oidc-provider, expiry ignored as RP-Initiated
 * Logout 1.0 §2 allows) names the signed-in user (`sub`) and this very session (`sid`, the one the
 * session gave the hint's client). Only then may the sign-out happen without asking: any other
 * hint — another user's, an old session's, an expired token lifted from elsewhere — would let a
 * third-party site sign the browser out (§6, "the OP SHOULD ask the End-User").
 */
export function hintMatchesSession(ctx: KoaContextWithOIDC): boolean {
  const hint = (ctx.oidc.entities as { IdTokenHint?: { payload?: Record<string, unknown> } })
    .IdTokenHint?.payload;
  const session = ctx.oidc.session;
  if (!hint || !session?.accountId) return false;
  const audience = Array.isArray(hint.aud) ? hint.aud[0] : hint.aud;
  if (typeof audience !== 'string' || typeof hint.sid !== 'string') return false;
  return hint.sub === session.accountId && hint.sid === session.sidFor(audience);
}
