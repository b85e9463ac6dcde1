import { CliError } from '../errors.js';
import { inline } from '../output/terminal.js';

/** The provider metadata the CLI uses (OpenID Connect Discovery 1.0 §3, RFC 8414 §2). */
export interface ProviderMetadata {
  readonly issuer: string;
  readonly token_endpoint: string;
  readonly device_authorization_endpoint?: string;
  readonly end_session_endpoint?: string;
  readonly revocation_endpoint?: string;
}

/**
 * Loads the provider's metadata from `<issuer>/.well-known/openid-configuration` — the only
 * URL the CLI derives, so Keycloak, Authentik and the dev IdP all work by their issuer alone.
 * OIDC Discovery §4.3: the document's `issuer` must be exactly the one asked for.
 */
export async function discover(fetchImpl: typeof fetch, issuer: string): Promise<ProviderMetadata> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let response: Response;
  try {
    response = await fetchImpl(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(15_000),
    });
  } catch (cause) {
    throw new CliError('idp_unreachable', `The identity provider at ${issuer} cannot be reached`, {
      cause,
    });
  }
  if (!response.ok)
    throw new CliError('idp_error', `${url} answered HTTP ${response.status}; is --issuer right?`);
  const metadata = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (metadata.issuer !== issuer) {
    const named = inline(String(metadata.issuer), 300);
    throw new CliError(
      'idp_error',
      `The provider calls itself ${named}, not ${issuer}; use --issuer ${named}`,
    );
  }
  if (typeof metadata.token_endpoint !== 'string')
    throw new CliError('idp_error', `${url} has no token_endpoint`);
  return metadata as unknown as ProviderMetadata;
}
