import type { DpopChoice } from '../settings.js';
import { apiRequiresDpop, type ProviderMetadata } from './discovery.js';
import { type DpopKey, newSignInKey } from './dpop.js';

/**
 * The key of a sign-in by `todo login` and `todo doctor --login` alike (RFC 9449 §5): with
 * TODO_DPOP=auto, the API at `apiUrl` is asked whether it requires DPoP-bound tokens (its
 * protected resource metadata, RFC 9728 §2), so the doctor checks the token the CLI would use.
 */
export async function signInKey(
  fetchImpl: typeof fetch,
  settings: { readonly dpop: DpopChoice; readonly apiUrl: string },
  metadata: ProviderMetadata,
): Promise<DpopKey | undefined> {
  const required = settings.dpop === 'auto' && (await apiRequiresDpop(fetchImpl, settings.apiUrl));
  return newSignInKey(settings.dpop, metadata.dpop_signing_alg_values_supported, required);
}
