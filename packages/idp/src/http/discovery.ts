import type Provider from 'oidc-provider';
import type { Layout } from '../layout.js';

/**
 * Discovery (OpenID Connect Discovery 1.0 §3) lists the endpoints the dev IdP serves itself and
 * the grants it adds to oidc-provider's, all under the configured public URL.
 */
export function addDiscoveryFields(provider: Provider, url: string, layout: Layout): void {
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route !== 'discovery' || typeof ctx.body !== 'object' || !ctx.body) return;
    const body = ctx.body as Record<string, unknown>;
    body.userinfo_endpoint = `${url}${layout.mountPath}${layout.routes.userinfo}`;
    body.backchannel_logout_supported = true;
    body.backchannel_logout_session_supported = true;
    if (layout.routes.registration === undefined) {
      // Only a registered client can ask for encrypted ID tokens (a realm client cannot say
      // so); without registration no client can, and discovery lists only what works (§3).
      delete body.id_token_encryption_alg_values_supported;
      delete body.id_token_encryption_enc_values_supported;
    }
    body.grant_types_supported = [
      ...new Set([...((body.grant_types_supported as string[]) ?? []), 'password']),
    ];
  });
}
